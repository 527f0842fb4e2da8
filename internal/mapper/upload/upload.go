package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// Params configure Run.
type Params struct {
	// Scope is the full scope name, e.g. store.UploadScope("aws").
	Scope string
	// Mode is store.Replace (the scope becomes the file) or store.Merge.
	Mode store.SyncMode
	// JobID labels the versions and changes written; default
	// "upload-<unix nanos>".
	JobID string
	// Now stamps the sync; zero means time.Now.
	Now time.Time
	// BatchSize is how many objects go into one Put; default 5000.
	BatchSize int
}

// Result reports a stored upload.
type Result struct {
	Scope         string            `json:"scope"`
	JobID         string            `json:"jobId"`
	Entities      int               `json:"entities"`
	Relationships int               `json:"relationships"`
	Mappings      int               `json:"mappedRelationships"`
	Sync          *store.SyncResult `json:"sync"`
	// MissingEnds lists, for the relationships the store did not keep
	// because an end does not exist (Sync.Dangling), the ends that are
	// neither entities of the file nor live entities of the scope. Only a
	// Merge upload can have them: Replace rejects such a file. _fromEntityKey
	// and _toEntityKey name entities of the upload's own scope only; an end
	// in another scope needs a _mapping.
	MissingEnds []MissingEnd `json:"missingEnds,omitempty"`
}

// MissingEnd is an end of a relationship that is not an entity of the
// upload's scope.
type MissingEnd struct {
	// Relationship is the relationship's _key.
	Relationship string `json:"relationship"`
	// Field is "_fromEntityKey" or "_toEntityKey".
	Field string `json:"field"`
	// Key is the _key the field names.
	Key string `json:"key"`
}

// Run reads an upload file from r and syncs it into p.Scope. A file with
// any invalid object is rejected whole with an *InvalidError and nothing is
// stored.
func Run(ctx context.Context, st store.Store, r io.Reader, p Params) (*Result, error) {
	if p.Scope == "" {
		return nil, errors.New("upload: no scope given")
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 5000
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if p.JobID == "" {
		p.JobID = fmt.Sprintf("upload-%d", p.Now.UnixNano())
	}
	rd, err := newReader(r)
	if err != nil {
		return nil, err
	}
	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: p.Scope, JobID: p.JobID, Mode: p.Mode, Now: p.Now})
	if err != nil {
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sess.Abort(context.WithoutCancel(ctx))
		}
	}()
	res := &Result{Scope: p.Scope, JobID: p.JobID}
	var (
		batch    store.Batch
		problems []Problem
		objects  int
		keys     = newKeyIndex()
	)
	flush := func() error {
		if len(batch.Entities)+len(batch.Relationships)+len(batch.Mappings) == 0 {
			return nil
		}
		if err := sess.Put(ctx, batch); err != nil {
			return fmt.Errorf("stage upload objects: %w", err)
		}
		batch = store.Batch{}
		return nil
	}
	for {
		it, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		it.seq = objects
		objects++
		obj, probs := decode(it)
		probs = append(probs, keys.add(it, obj)...)
		if len(probs) > 0 {
			problems = append(problems, probs...)
			continue
		}
		if len(problems) > 0 {
			continue // the file is rejected; only keep checking
		}
		switch {
		case obj.Entity != nil:
			batch.Entities = append(batch.Entities, *obj.Entity)
			res.Entities++
		case obj.Relationship != nil:
			batch.Relationships = append(batch.Relationships, *obj.Relationship)
			res.Relationships++
		case obj.Mapping != nil:
			batch.Mappings = append(batch.Mappings, *obj.Mapping)
			res.Mappings++
		}
		if len(batch.Entities)+len(batch.Relationships)+len(batch.Mappings) >= p.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if p.Mode == store.Replace {
		problems = append(problems, keys.unknownEnds()...)
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].seq < problems[j].seq })
	}
	if len(problems) > 0 {
		return nil, &InvalidError{Problems: problems, Objects: objects}
	}
	if objects == 0 && p.Mode == store.Replace {
		return nil, &FileError{Msg: "the file holds no objects; refusing to empty the scope (use --mode merge to upload nothing)"}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	sr, err := sess.Commit(ctx, store.CommitParams{})
	if err != nil {
		return nil, fmt.Errorf("commit upload into %s: %w", p.Scope, err)
	}
	committed = true
	res.Sync = sr
	if res.MissingEnds, err = keys.missingEnds(ctx, st, p.Scope, sr.Dangling); err != nil {
		return nil, err
	}
	return res, nil
}

// where says where an object is in the file.
type where struct {
	index   int
	section string
	line    int
	seq     int
}

func (w where) String() string {
	return Problem{Index: w.index, Section: w.section, Line: w.line}.where()
}

// keyIndex remembers the keys of a file's objects, to refuse a _key used
// twice (the store would keep only the last object) and to name the ends of
// relationships the store could not link.
type keyIndex struct {
	entities      map[string]where
	relationships map[string]where
	mappings      map[string]where
	ends          map[string][2]string // relationship _key → from and to keys
	rels          []relEnds            // the relationships, in file order
	sources       []relEnds            // the mapped relationships, with their source key as from
}

// relEnds is where a relationship is in the file and the keys of its ends.
type relEnds struct {
	at       where
	from, to string
}

func newKeyIndex() *keyIndex {
	return &keyIndex{entities: map[string]where{}, relationships: map[string]where{},
		mappings: map[string]where{}, ends: map[string][2]string{}}
}

// add records the key of obj, read from it, and returns a problem when an
// earlier object of the same kind had it.
func (k *keyIndex) add(it *item, obj Object) []Problem {
	var (
		seen map[string]where
		key  string
		kind string
	)
	switch {
	case obj.Entity != nil:
		seen, key, kind = k.entities, obj.Entity.Key, "an entity"
	case obj.Relationship != nil:
		seen, key, kind = k.relationships, obj.Relationship.Key, "a relationship"
		if key != "" {
			k.ends[key] = [2]string{obj.Relationship.FromKey, obj.Relationship.ToKey}
		}
		k.rels = append(k.rels, relEnds{at: where{index: it.index, section: it.section, line: it.line, seq: it.seq},
			from: obj.Relationship.FromKey, to: obj.Relationship.ToKey})
	case obj.Mapping != nil:
		seen, key, kind = k.mappings, obj.Mapping.Key, "a mapped relationship"
		k.sources = append(k.sources, relEnds{at: where{index: it.index, section: it.section, line: it.line, seq: it.seq},
			from: obj.Mapping.SourceKey})
	default:
		return nil
	}
	if key == "" {
		return nil
	}
	here := where{index: it.index, section: it.section, line: it.line, seq: it.seq}
	first, dup := seen[key]
	if !dup {
		seen[key] = here
		return nil
	}
	msg := fmt.Sprintf("%q is also the _key of %s; %s _key must be unique in the upload, or the last object would silently replace the first", key, first, kind)
	if obj.Mapping != nil {
		msg = fmt.Sprintf("%q (given, or built from the _mapping) is also the _key of %s; %s _key must be unique in the upload, or the last object would silently replace the first", key, first, kind)
	}
	return []Problem{{Index: it.index, Section: it.section, Line: it.line, Field: "_key", Msg: msg, seq: it.seq}}
}

// unknownEnds returns a problem for each end of a relationship, and each
// source of a mapped relationship, that names no entity of the file. In
// Replace mode the file is the whole scope, so such a relationship could
// never be stored. An end left empty is already a problem of its own.
func (k *keyIndex) unknownEnds() []Problem {
	var out []Problem
	for _, m := range k.sources {
		if _, ok := k.entities[m.from]; ok || m.from == "" {
			continue
		}
		out = append(out, Problem{Index: m.at.index, Section: m.at.section, Line: m.at.line, Field: "_mapping.sourceEntityKey", seq: m.at.seq,
			Msg: fmt.Sprintf("%q is not the _key of an entity of the file; in replace mode the file is the scope's whole content, "+
				"so the source of a mapped relationship must be an entity of the file (to map from an entity uploaded earlier "+
				"into this scope, use --mode merge)", m.from)})
	}
	for _, r := range k.rels {
		for _, end := range []struct{ field, key string }{{"_fromEntityKey", r.from}, {"_toEntityKey", r.to}} {
			if end.key == "" {
				continue
			}
			if _, ok := k.entities[end.key]; ok {
				continue
			}
			out = append(out, Problem{Index: r.at.index, Section: r.at.section, Line: r.at.line, Field: end.field, seq: r.at.seq,
				Msg: fmt.Sprintf("%q is not the _key of an entity of the file; in replace mode the file is the scope's whole content, "+
					"so both ends must be entities of the file (to link to an entity of another scope, give the relationship a _mapping; "+
					"to link to an entity uploaded earlier into this scope, use --mode merge)", end.key)})
		}
	}
	return out
}

// missingEnds names the ends of the dangling relationships that are
// neither entities of the file nor live entities of the scope (in Merge
// mode an end may be an entity stored before). The store lists at most 100
// dangling relationships, so this looks up at most 200 entities.
func (k *keyIndex) missingEnds(ctx context.Context, st store.Store, scope string, dangling []string) ([]MissingEnd, error) {
	var out []MissingEnd
	for _, rel := range dangling {
		ends, ok := k.ends[rel]
		if !ok {
			continue
		}
		for i, field := range []string{"_fromEntityKey", "_toEntityKey"} {
			if _, inFile := k.entities[ends[i]]; inFile {
				continue
			}
			e, err := st.GetEntity(ctx, scope, ends[i])
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("look up end %s of dropped relationship %s: %w", ends[i], rel, err)
			case !e.Deleted:
				continue
			}
			out = append(out, MissingEnd{Relationship: rel, Field: field, Key: ends[i]})
		}
	}
	return out, nil
}
