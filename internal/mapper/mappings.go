package mapper

import (
	"context"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// keySeparator separates a mapping's _key from the target suffix of the
// relationships of a mapping with several targets.
const keySeparator = "||"

// changedMappings handles every mapping created, changed or deleted since
// the cursor, page by page; the next page is read while the current one is
// resolved and staged.
func (r *run) changedMappings(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := r.readMappingPages(ctx, r.prev.MappingSeq, 0, true)
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		r.report.MappingsRead += int64(len(p.recs))
		if err := r.processMappings(ctx, p.recs, false); err != nil {
			return err
		}
		r.prev.MappingSeq = p.recs[len(p.recs)-1].Seq
	}
	return nil
}

// mappingPage is one page of mappings, or the error that ended the read.
type mappingPage struct {
	recs []store.MappingRecord
	err  error
}

// readMappingPages reads mappings with Seq above after (and at most upTo,
// when upTo > 0) in pages on a goroutine, one page ahead of the consumer:
// the channel is unbuffered, so at most two pages are alive, the one in
// hand and the next. The channel closes after the last page or an error;
// cancel ctx to stop early.
func (r *run) readMappingPages(ctx context.Context, after, upTo int64, includeDeleted bool) <-chan mappingPage {
	out := make(chan mappingPage)
	go func() {
		defer close(out)
		for {
			recs, err := r.st.ListMappings(ctx, store.MappingFilter{AfterSeq: after, IncludeDeleted: includeDeleted, Limit: r.m.opts.PageSize})
			if err != nil {
				err = fmt.Errorf("read mappings after seq %d: %w", after, err)
			}
			if upTo > 0 {
				for i, rec := range recs {
					if rec.Seq > upTo {
						recs = recs[:i]
						break
					}
				}
			}
			if err == nil && len(recs) == 0 {
				return
			}
			select {
			case out <- mappingPage{recs: recs, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(recs) < r.m.opts.PageSize {
				return
			}
			after = recs[len(recs)-1].Seq
		}
	}()
	return out
}

// processMappings resolves a page of mappings and stages their
// relationships. recheck says the mappings are unchanged ones whose targets
// may have changed.
func (r *run) processMappings(ctx context.Context, recs []store.MappingRecord, recheck bool) error {
	var reqs []*sigReq
	per := make([]recSigs, len(recs))
	var stale []*store.MappingRecord // mappings that may have relationships already
	for i := range recs {
		rec := &recs[i]
		if rec.Deleted {
			stale = append(stale, rec)
			continue
		}
		f, id, err := r.mappingSigs(&rec.MappedRelationship)
		if err != nil {
			return err
		}
		per[i] = recSigs{f, id}
		reqs = append(reqs, f...)
		reqs = append(reqs, id)
		r.targetTypes[rec.TargetEntity.Type] = true
		if recheck || rec.Version > 1 {
			stale = append(stale, rec)
		}
	}
	if err := r.resolve(ctx, reqs); err != nil {
		return err
	}
	existing, err := r.existingRelationships(ctx, stale)
	if err != nil {
		return err
	}
	hashes := newDescHashes(r.seed)
	defer r.releaseLoaded()
	if err := r.prefetchPlaceholders(ctx, recs, per, hashes); err != nil {
		return err
	}
	for i := range recs {
		rec := &recs[i]
		src := endpoint{rec.Scope, rec.SourceKey}
		old := existing[src]
		if rec.Deleted {
			r.report.MappingsDeleted++
			r.gc[placeholderKey(&rec.MappedRelationship)] = true
			for _, e := range old {
				if ownedBy(e.key, rec.Key) {
					r.markGC(e)
					if err := r.deleteRel(ctx, e.key); err != nil {
						return err
					}
				}
			}
			continue
		}
		r.report.MappingsResolved++
		targets, err := r.targetsFor(ctx, &rec.MappedRelationship, per[i], hashes)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			r.report.Unresolved++
		}
		want := map[string]bool{}
		for _, t := range targets {
			rel := relationshipFor(rec, t, len(targets) > 1)
			want[rel.Key] = true
			if err := r.putRel(ctx, rel); err != nil {
				return err
			}
		}
		for _, e := range old {
			if !ownedBy(e.key, rec.Key) {
				continue
			}
			r.markGC(e)
			if !want[e.key] {
				if err := r.deleteRel(ctx, e.key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// recSigs holds the filter requests of one mapping (see mappingSigs).
type recSigs struct {
	filters  []*sigReq
	identity *sigReq
}

// targetsFor picks a mapping's targets: the matches outside the mapper
// scope; else an entity outside the mapper scope with the target
// description's _type and _key (which adopts the placeholder); else the
// matching placeholders, filled out with the description; else a new
// placeholder unless SkipTargetCreation.
func (r *run) targetsFor(ctx context.Context, m *graph.MappedRelationship, sigs recSigs, hashes *descHashes) ([]*target, error) {
	found, placeholders := r.matches(sigs.filters, sigs.identity)
	if !placeholders {
		return found, nil
	}
	if len(found) > 0 {
		h := hashes.of(m.TargetEntity.Properties)
		for _, t := range found {
			if err := r.fillPlaceholder(ctx, t, m, h); err != nil {
				return nil, err
			}
		}
		return found, nil
	}
	if m.SkipTargetCreation {
		return nil, nil
	}
	t, err := r.createPlaceholder(ctx, m, hashes.of(m.TargetEntity.Properties))
	if t == nil || err != nil {
		return nil, err
	}
	return []*target{t}, nil
}

// matches returns what a mapping's filters resolved to: the matches
// outside the mapper scope, else an entity outside it with the target
// description's _type and _key, else (placeholders true) the matching
// placeholders, possibly none.
func (r *run) matches(filters []*sigReq, identity *sigReq) (found []*target, placeholders bool) {
	var real, ph []*target
	if len(filters) == 1 {
		if res := r.sigs[filters[0].key]; res != nil {
			real, ph = res.real, res.placeholders
		}
	} else {
		for _, f := range filters {
			if res := r.sigs[f.key]; res != nil {
				real = appendNew(real, res.real)
				ph = appendNew(ph, res.placeholders)
			}
		}
	}
	if len(real) > 0 {
		return real, false
	}
	if identity != nil {
		if res := r.sigs[identity.key]; res != nil {
			if len(res.real) > 0 {
				return res.real, false
			}
			ph = appendNew(ph, res.placeholders)
		}
	}
	return ph, true
}

// appendNew appends the targets of add that list does not hold yet,
// copying list first so cached results are never changed.
func appendNew(list, add []*target) []*target {
	out := list[:len(list):len(list)]
	for _, t := range add {
		dup := false
		for _, x := range out {
			if x == t || (x.scope == t.scope && x.key == t.key) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// relationshipFor builds the relationship of a mapping to one target.
func relationshipFor(rec *store.MappingRecord, t *target, several bool) graph.Relationship {
	m := &rec.MappedRelationship
	key := m.Key
	if several {
		key = m.Key + keySeparator + t.scope + "|" + t.key
	}
	rel := graph.Relationship{Key: key, Type: m.Type, Class: m.Class}
	if len(m.Properties) > 0 {
		rel.Properties = m.Properties.Clone()
	}
	if m.Direction == graph.Reverse {
		rel.FromKey, rel.FromScope = t.key, t.scope
		rel.ToKey, rel.ToScope = m.SourceKey, rec.Scope
	} else {
		rel.FromKey, rel.FromScope = m.SourceKey, rec.Scope
		rel.ToKey, rel.ToScope = t.key, t.scope
	}
	return rel
}

// ownedBy reports whether a mapper relationship key belongs to a mapping:
// it is the mapping's key, or that key, keySeparator and a target suffix.
// It is called for every stored relationship of a changed mapping's source,
// so it builds no string.
func ownedBy(relKey, mappingKey string) bool {
	rest, ok := strings.CutPrefix(relKey, mappingKey)
	return ok && (rest == "" || strings.HasPrefix(rest, keySeparator))
}

// endpoint names an entity.
type endpoint struct{ scope, key string }

// storedRel is a stored mapper relationship seen from one endpoint.
type storedRel struct {
	key   string
	other endpoint // the entity at the other end
}

func (r *run) markGC(e storedRel) {
	if e.other.scope == store.MapperScope {
		r.gc[e.other.key] = true
	}
}

// existingRelationships returns the live mapper relationships touching the
// source entities of recs, by source. Every relationship of a mapping has
// its source at one end, so this finds them through the endpoint indexes.
func (r *run) existingRelationships(ctx context.Context, recs []*store.MappingRecord) (map[endpoint][]storedRel, error) {
	out := map[endpoint][]storedRel{}
	if len(recs) == 0 {
		return out, nil
	}
	byScope := map[string][]any{}
	seen := map[endpoint]bool{}
	for _, rec := range recs {
		e := endpoint{rec.Scope, rec.SourceKey}
		if !seen[e] {
			seen[e] = true
			byScope[e.scope] = append(byScope[e.scope], e.key)
		}
	}
	for _, scope := range sortedKeys(byScope) {
		for _, c := range chunks(byScope[scope], chunkSize) {
			for _, dir := range [][2]string{{"from_id", "to_id"}, {"to_id", "from_id"}} {
				q := newQuery(r.d).sql("SELECT s.key, r.key, o.scope, o.key FROM entities s JOIN relationships r ON r."+dir[0]+" = s.id JOIN entities o ON o.id = r."+dir[1]).
					sql(" WHERE s.scope = ").arg(scope).sql(" AND s.key IN ").in(c).
					sql(" AND ").relScope("r", store.MapperScope).sql(" AND ").notDeleted("r")
				err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
					src := endpoint{scope, rowString(row[0])}
					out[src] = append(out[src], storedRel{key: rowString(row[1]), other: endpoint{rowString(row[2]), rowString(row[3])}})
					return nil
				})
				if err != nil {
					return nil, fmt.Errorf("read relationships of mapping sources in %s: %w", scope, err)
				}
			}
		}
	}
	return out, nil
}
