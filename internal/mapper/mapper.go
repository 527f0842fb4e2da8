package mapper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// stateName is the name of the mapper's state in store.MapperScope.
const stateName = "resolver"

// Options configure a Mapper. Zero values pick the defaults.
type Options struct {
	// Rules are the global mapping rules; nil means none (pass
	// DefaultRules() plus the configured ones).
	Rules []Rule
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// PageSize is how many mappings or changes are read at a time; default
	// 5000 (a page of decoded mappings is a few MB; two are in flight).
	PageSize int
	// BatchSize is how many objects go into one SyncSession.Put; default
	// 5000.
	BatchSize int
	// Now stamps the mapper's writes; default time.Now.
	Now func() time.Time
}

// Mapper resolves mapped relationships and global mapping rules into
// relationships of store.MapperScope.
type Mapper struct {
	st   store.Store
	opts Options
}

// New returns a Mapper over st. Rules are validated by Resolve.
func New(st store.Store, opts Options) *Mapper {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 5000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Mapper{st: st, opts: opts}
}

// Report counts the work one Resolve did.
type Report struct {
	// MappingsRead counts mappings read because they changed since the
	// last Resolve (deleted ones included).
	MappingsRead int64 `json:"mappingsRead"`
	// MappingsRechecked counts unchanged mappings re-resolved because one
	// of their possible targets changed.
	MappingsRechecked int64 `json:"mappingsRechecked"`
	// MappingsScanned counts stored mappings read to find those a target
	// change affects (zero unless a changed entity matches a filter in use).
	MappingsScanned int64 `json:"mappingsScanned"`
	// MappingsResolved counts mappings whose targets were resolved.
	MappingsResolved int64 `json:"mappingsResolved"`
	// MappingsDeleted counts deleted mappings whose relationships went.
	MappingsDeleted int64 `json:"mappingsDeleted"`
	// Unresolved counts mappings left without a target (skipTargetCreation
	// with no match, or a target description that is not a valid entity).
	Unresolved int64 `json:"unresolved"`
	// InvalidTargets counts distinct target descriptions that are not valid
	// entities, so no placeholder could be made from them.
	InvalidTargets int64 `json:"invalidTargets"`
	// TargetsResolved counts distinct target filters looked up.
	TargetsResolved int64 `json:"targetsResolved"`
	// TargetChanges counts entity changes read as possible targets.
	TargetChanges int64 `json:"targetChanges"`
	// RulesEvaluated counts global rule evaluations.
	RulesEvaluated int64 `json:"rulesEvaluated"`
	// RuleMatches counts the relationships the evaluated rules want.
	RuleMatches int64 `json:"ruleMatches"`
	// RelationshipsPut counts relationships handed to the store (the store
	// decides whether each is new, changed or unchanged).
	RelationshipsPut int64 `json:"relationshipsPut"`
	// RelationshipsDeleted counts relationships the mapper deleted.
	RelationshipsDeleted int64 `json:"relationshipsDeleted"`
	// PlaceholdersCreated and PlaceholdersUpdated count placeholder
	// entities written; PlaceholdersDeleted those removed because nothing
	// references them any more (adopted ones included).
	PlaceholdersCreated int64 `json:"placeholdersCreated"`
	PlaceholdersUpdated int64 `json:"placeholdersUpdated"`
	PlaceholdersDeleted int64 `json:"placeholdersDeleted"`
	// PlaceholdersAdopted counts placeholders whose relationships moved to
	// an entity with their _type and _key that arrived in another scope.
	PlaceholdersAdopted int64 `json:"placeholdersAdopted"`
	// Result is what the store reported for the main commit; nil when
	// nothing was written.
	Result *store.SyncResult `json:"result,omitempty"`
	// Duration is the wall time of Resolve.
	Duration time.Duration `json:"duration"`
}

// state is what the mapper keeps between runs.
type state struct {
	// MappingSeq is the highest mapping Seq handled.
	MappingSeq int64 `json:"mappingSeq"`
	// ChangeSeq is the highest change-log Seq handled.
	ChangeSeq int64 `json:"changeSeq"`
	// Shapes lists the target filters (property name lists) in use.
	Shapes [][]string `json:"shapes"`
	// TargetTypes lists the _types that targets have had or that target
	// descriptions name; changes to entities of these types are read.
	TargetTypes []string `json:"targetTypes"`
	// FilterClasses lists the classes that _class filters name.
	FilterClasses []string `json:"filterClasses"`
	// Filters is a Bloom filter of the target filters and identities of
	// the stored mappings; nil when unknown.
	Filters []byte `json:"filters,omitempty"`
	// Rules lists the rules of the last evaluation.
	Rules []Rule `json:"rules"`
}

// Resolve brings the mapper's relationships and placeholders up to date
// with the mappings and entities changed since the previous Resolve.
func (m *Mapper) Resolve(ctx context.Context) (*Report, error) {
	start := time.Now()
	if err := ValidateRules(m.opts.Rules); err != nil {
		return nil, err
	}
	var st state
	if err := m.st.GetState(ctx, store.MapperScope, stateName, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read mapper state: %w", err)
	}
	hi, err := m.lastSeq(ctx, st.ChangeSeq)
	if err != nil {
		return nil, err
	}
	r := newRun(m, &st)
	defer r.abort(ctx)
	if hi > st.ChangeSeq {
		affected, err := r.changedTargets(ctx, st.ChangeSeq, hi)
		if err != nil {
			return nil, err
		}
		if len(affected) > 0 {
			if err := r.recheck(ctx, affected); err != nil {
				return nil, err
			}
		}
	}
	if err := r.changedMappings(ctx); err != nil {
		return nil, err
	}
	rulesChanged := !sameStrings(ruleNames(st.Rules), ruleNames(m.opts.Rules))
	if hi > st.ChangeSeq || rulesChanged {
		var only map[string]map[string]bool
		if !rulesChanged && st.ChangeSeq > 0 {
			if only, err = r.changedRuleValues(ctx, st.ChangeSeq, hi); err != nil {
				return nil, err
			}
		}
		if err := r.evaluateRules(ctx, st.Rules, only); err != nil {
			return nil, err
		}
	}
	if err := r.flushPlaceholders(ctx); err != nil {
		return nil, err
	}
	res, err := r.commit(ctx)
	if err != nil {
		return nil, err
	}
	r.report.Result = res
	if err := r.collectGarbage(ctx); err != nil {
		return nil, err
	}
	before := st.ChangeSeq
	st.ChangeSeq, err = m.skipOwnChanges(ctx, hi, r.jobID)
	if err != nil {
		return nil, err
	}
	if st.ChangeSeq == before && r.report.MappingsRead == 0 && sameStrings(ruleNames(st.Rules), ruleNames(m.opts.Rules)) {
		r.report.Duration = time.Since(start)
		return &r.report, nil // nothing moved: keep the stored state as it is
	}
	st.Rules = append([]Rule(nil), m.opts.Rules...)
	st.Filters = r.filters
	st.TargetTypes = sortedKeys(r.targetTypes)
	st.FilterClasses = sortedKeys(r.filterClasses)
	st.Shapes = r.shapeList()
	if err := m.st.PutState(ctx, store.MapperScope, stateName, &st); err != nil {
		return nil, fmt.Errorf("save mapper state: %w", err)
	}
	r.report.Duration = time.Since(start)
	return &r.report, nil
}

// AppliedRules returns the rules the last Resolve on st evaluated, so a
// command given no rule configuration can keep them instead of dropping the
// configured ones; DefaultRules when no Resolve has stored its rules yet.
func AppliedRules(ctx context.Context, st store.Store) ([]Rule, error) {
	var s state
	if err := st.GetState(ctx, store.MapperScope, stateName, &s); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return DefaultRules(), nil
		}
		return nil, fmt.Errorf("read mapper state: %w", err)
	}
	if len(s.Rules) == 0 {
		return DefaultRules(), nil
	}
	return s.Rules, nil
}

// lastSeq returns the highest change-log Seq at or above from (from when
// the log has nothing newer), probing with exponential then binary search.
func (m *Mapper) lastSeq(ctx context.Context, from int64) (int64, error) {
	return m.lastMatching(ctx, from, func(store.Change) bool { return true })
}

// lastMatching returns the Seq of the last entry of the run of entries
// after from that satisfy ok, or from when the first entry after from does
// not. Entries of one commit are contiguous, which makes the run searchable.
func (m *Mapper) lastMatching(ctx context.Context, from int64, ok func(store.Change) bool) (int64, error) {
	next := func(after int64) (*store.Change, error) {
		cs, err := m.st.Changes(ctx, store.ChangeFilter{AfterSeq: after, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("probe change log after %d: %w", after, err)
		}
		if len(cs) == 0 || !ok(cs[0]) {
			return nil, nil
		}
		return &cs[0], nil
	}
	c, err := next(from)
	if err != nil || c == nil {
		return from, err
	}
	lo := c.Seq // lo is in the run
	step := int64(1024)
	hi := lo + step // hi is probed below
	for {
		c, err := next(hi - 1)
		if err != nil {
			return 0, err
		}
		if c == nil {
			break
		}
		lo = c.Seq
		step *= 2
		hi = lo + step
	}
	// The run ends in [lo, hi-1]: next(lo) may exist, next(hi-1) does not.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		c, err := next(mid - 1)
		if err != nil {
			return 0, err
		}
		if c == nil {
			hi = mid
		} else {
			lo = c.Seq
			if lo >= hi {
				break
			}
		}
	}
	return lo, nil
}

// skipOwnChanges returns the change-log cursor after this run: past the
// entries its own commits wrote right after hi, or hi when another writer's
// entries come first.
func (m *Mapper) skipOwnChanges(ctx context.Context, hi int64, jobID string) (int64, error) {
	return m.lastMatching(ctx, hi, func(c store.Change) bool {
		return c.Scope == store.MapperScope && c.JobID == jobID
	})
}

func ruleNames(rules []Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.String()
	}
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
