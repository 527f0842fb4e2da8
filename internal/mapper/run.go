package mapper

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// run is the working state of one Resolve.
type run struct {
	m      *Mapper
	st     store.Store
	d      store.Dialect
	log    *slog.Logger
	prev   *state
	jobID  string
	report Report

	sess  store.SyncSession
	batch store.Batch

	shapes     map[string][]string   // shape id → property names
	shapeProps map[string][]string   // shape id → its names that are properties
	sigs       map[string]*sigResult // resolved target filters
	// pendingIdx lists, by filter not resolved yet, the placeholders
	// created or changed in this run that match it.
	pendingIdx map[string][]*target
	// pending holds the placeholders created or changed in this run, by
	// key.
	pending map[string]*target
	// loaded lists the stored placeholders whose properties the page in
	// hand read for fills; processMappings drops them after the page.
	loaded      []*target
	seed        maphash.Seed         // of the pages' descHashes
	invalid     map[string]bool      // placeholder keys that failed validation
	candidates  map[string][]*target // fetch-all lookups, by shape and type/class
	scopes      []string             // distinct entity scopes, read once
	strs        map[string]string    // interned scopes, types and classes
	classLists  map[string][]string  // interned class lists, by their classes joined with NUL
	targetTypes map[string]bool
	// filterClasses lists the classes _class filters name.
	filterClasses map[string]bool
	gc            map[string]bool // placeholder keys that may have lost their last reference
	// filters holds every target filter of the stored mappings, nil when
	// unknown (a state written before filters were kept).
	filters bloom
}

func newRun(m *Mapper, prev *state) *run {
	r := &run{
		m: m, st: m.st, d: m.st.Dialect(), log: m.opts.Logger, prev: prev,
		jobID:         "mapper-" + strconv.FormatInt(m.opts.Now().UnixNano(), 10),
		shapes:        map[string][]string{},
		shapeProps:    map[string][]string{},
		sigs:          map[string]*sigResult{},
		pendingIdx:    map[string][]*target{},
		pending:       map[string]*target{},
		seed:          maphash.MakeSeed(),
		invalid:       map[string]bool{},
		candidates:    map[string][]*target{},
		strs:          map[string]string{},
		classLists:    map[string][]string{},
		targetTypes:   map[string]bool{},
		filterClasses: map[string]bool{},
		gc:            map[string]bool{},
	}
	// No placeholder is pending yet, so adding a shape cannot fail.
	_, _ = r.addShape(identityShape)
	for _, s := range prev.Shapes {
		_, _ = r.addShape(s)
	}
	for _, t := range prev.TargetTypes {
		r.targetTypes[t] = true
	}
	switch {
	case prev.MappingSeq == 0:
		r.filters = newBloom()
	case len(prev.Filters) == bloomBits/8:
		r.filters = bloom(prev.Filters)
	}
	for _, c := range prev.FilterClasses {
		r.filterClasses[c] = true
	}
	return r
}

// session opens the Merge sync of the mapper scope on first use.
func (r *run) session(ctx context.Context) (store.SyncSession, error) {
	if r.sess != nil {
		return r.sess, nil
	}
	s, err := r.st.BeginSync(ctx, store.SyncParams{Scope: store.MapperScope, JobID: r.jobID, Mode: store.Merge, Now: r.m.opts.Now()})
	if err != nil {
		return nil, fmt.Errorf("begin mapper sync: %w", err)
	}
	r.sess = s
	return s, nil
}

func (r *run) batchLen() int {
	return len(r.batch.Entities) + len(r.batch.Relationships) + len(r.batch.Deletes)
}

// putRel stages a relationship.
func (r *run) putRel(ctx context.Context, rel graph.Relationship) error {
	r.batch.Relationships = append(r.batch.Relationships, rel)
	r.report.RelationshipsPut++
	return r.maybeFlush(ctx)
}

// deleteRel stages the deletion of a relationship of the mapper scope.
func (r *run) deleteRel(ctx context.Context, key string) error {
	r.batch.Deletes = append(r.batch.Deletes, store.ObjectRef{Kind: store.KindRelationship, Key: key})
	r.report.RelationshipsDeleted++
	return r.maybeFlush(ctx)
}

// putEntity stages a placeholder entity. The session keeps the latest Put
// of a key, so a placeholder is staged again whenever a fill changes it.
func (r *run) putEntity(ctx context.Context, e graph.Entity) error {
	r.batch.Entities = append(r.batch.Entities, e)
	return r.maybeFlush(ctx)
}

func (r *run) maybeFlush(ctx context.Context) error {
	if r.batchLen() < r.m.opts.BatchSize {
		return nil
	}
	return r.flush(ctx)
}

// flush hands the staged batch to the session.
func (r *run) flush(ctx context.Context) error {
	if r.batchLen() == 0 {
		return nil
	}
	s, err := r.session(ctx)
	if err != nil {
		return err
	}
	if err := s.Put(ctx, r.batch); err != nil {
		return fmt.Errorf("stage mapper batch: %w", err)
	}
	r.batch = store.Batch{}
	return nil
}

// commit applies what the run staged; it returns nil when nothing was.
func (r *run) commit(ctx context.Context) (*store.SyncResult, error) {
	if err := r.flush(ctx); err != nil {
		return nil, err
	}
	if r.sess == nil {
		return nil, nil
	}
	res, err := r.sess.Commit(ctx, store.CommitParams{})
	r.sess = nil
	if err != nil {
		return nil, fmt.Errorf("commit mapper sync: %w", err)
	}
	return res, nil
}

// abort discards an open session; it is a no-op after commit.
func (r *run) abort(ctx context.Context) {
	if r.sess != nil {
		_ = r.sess.Abort(context.WithoutCancel(ctx))
		r.sess = nil
	}
}
