package sqlite

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// encodedBatch is a validated batch in the staging encoding: one []any of
// column values per row, in the column order of the staging tables.
type encodedBatch struct {
	entities      [][]any // key, type, classes, props
	relationships [][]any // key, type, class, from_scope, from_key, to_scope, to_key, props
	mappings      [][]any // key, type, class, body, target
	targets       [][]any // id, props: the mappings' target descriptions
	deletes       [][2]string
}

// parallelMin is the batch size from which validation is spread over
// several goroutines.
const parallelMin = 512

// validateBatch checks every object of b and encodes it for staging,
// spreading the work over GOMAXPROCS goroutines for large batches. It
// returns every validation error of the batch, each naming its object;
// objects keep their order.
func validateBatch(b *store.Batch) (*encodedBatch, error) {
	out := &encodedBatch{}
	var errs []error
	ents, err := encodeAll(len(b.Entities), func(i int, buf *[]byte) ([]any, error) { return encodeEntity(i, &b.Entities[i], buf) })
	out.entities = ents
	errs = append(errs, err)
	rels, err := encodeAll(len(b.Relationships), func(i int, buf *[]byte) ([]any, error) { return encodeRelationship(i, &b.Relationships[i], buf) })
	out.relationships = rels
	errs = append(errs, err)
	maps, err := encodeAll(len(b.Mappings), func(i int, buf *[]byte) ([]any, error) { return encodeMappingRow(i, &b.Mappings[i], buf) })
	out.mappings = maps
	errs = append(errs, err)
	if err == nil {
		out.targets = mappingTargets(maps)
	}
	for i, d := range b.Deletes {
		switch d.Kind {
		case store.KindEntity, store.KindRelationship, store.KindMapping:
		default:
			errs = append(errs, fmt.Errorf("delete %d (%s): unknown kind %q", i, d.Key, d.Kind))
			continue
		}
		if d.Key == "" {
			errs = append(errs, fmt.Errorf("delete %d: empty key", i))
			continue
		}
		out.deletes = append(out.deletes, [2]string{string(d.Kind), d.Key})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeAll encodes n objects with enc, in chunks on several goroutines
// when n is large, keeping their order and every error. Each goroutine
// hands enc its own scratch buffer.
func encodeAll(n int, enc func(i int, buf *[]byte) ([]any, error)) ([][]any, error) {
	if n == 0 {
		return nil, nil
	}
	rows := make([][]any, n)
	errs := make([]error, n)
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers < 2 {
		workers = 1
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 1024)
			for i := start; i < end; i++ {
				rows[i], errs[i] = enc(i, &buf)
			}
		}()
	}
	wg.Wait()
	return rows, errors.Join(errs...)
}

// encodeEntity validates and encodes one entity.
func encodeEntity(i int, e *graph.Entity, buf *[]byte) ([]any, error) {
	if err := graph.ValidateEntity(e); err != nil {
		return nil, fmt.Errorf("entity %d: %w", i, err)
	}
	props, err := encodeProps(e.Properties, buf)
	if err != nil {
		return nil, fmt.Errorf("entity %d (%s/%s): %w", i, e.Type, e.Key, err)
	}
	return []any{e.Key, e.Type, encodeClasses(e.Class), props}, nil
}

// encodeRelationship validates and encodes one relationship.
func encodeRelationship(i int, r *graph.Relationship, buf *[]byte) ([]any, error) {
	if err := graph.ValidateRelationship(r); err != nil {
		return nil, fmt.Errorf("relationship %d: %w", i, err)
	}
	props, err := encodeProps(r.Properties, buf)
	if err != nil {
		return nil, fmt.Errorf("relationship %d (%s/%s): %w", i, r.Type, r.Key, err)
	}
	return []any{r.Key, r.Type, r.Class, r.FromScope, r.FromKey, r.ToScope, r.ToKey, props}, nil
}

// encodeMappingRow validates and encodes one mapped relationship. The row
// carries the target description as a seventh value, which mappingTargets
// takes off.
func encodeMappingRow(i int, m *graph.MappedRelationship, buf *[]byte) ([]any, error) {
	if err := graph.ValidateMappedRelationship(m); err != nil {
		return nil, fmt.Errorf("mapping %d: %w", i, err)
	}
	enc, err := encodeMapping(m, buf)
	if err != nil {
		return nil, fmt.Errorf("mapping %d (%s/%s): %w", i, m.Type, m.Key, err)
	}
	return []any{m.Key, m.Type, m.Class, enc.sourceKey, enc.body, enc.targetID, enc.target}, nil
}

// mappingTargets takes the target descriptions off encoded mapping rows
// and returns them as (id, props) rows; the stager keeps one per id.
func mappingTargets(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r[5], r[6]}
		rows[i] = r[:6]
	}
	return out
}

// encodeClasses renders validated classes as a JSON array, as
// json.Marshal would: validation leaves only letters, digits and '_' in
// them, which need no escaping.
func encodeClasses(classes []string) string {
	n := 2
	for _, c := range classes {
		n += len(c) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, c := range classes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, c...)
		b = append(b, '"')
	}
	return string(append(b, ']'))
}

// encodeProps renders properties as canonical JSON (sorted names), so that
// equal properties always give equal text. buf is scratch space, reused
// from call to call by one goroutine.
func encodeProps(p graph.Properties, buf *[]byte) (string, error) {
	if p == nil {
		return "{}", nil
	}
	b, err := p.AppendJSON((*buf)[:0])
	if err != nil {
		return "", fmt.Errorf("encode properties: %w", err)
	}
	*buf = b
	return string(b), nil
}
