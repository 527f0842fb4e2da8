package mapper

import (
	"context"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// ruleEntity is one side of a rule match.
type ruleEntity struct {
	id              int64
	scope, key, typ string
	values          []string // canonical forms of the rule property
}

// evaluateRules makes the relationships of every rule match the graph and
// removes those of rules no longer configured. With only non-nil, a rule is
// evaluated just for the values only[rule] lists (the values changed
// entities had or have), and skipped when it lists none.
func (r *run) evaluateRules(ctx context.Context, prev []Rule, only map[string]map[string]bool) error {
	current := map[string]bool{}
	for _, rule := range r.m.opts.Rules {
		current[rule.String()] = true
		var values map[string]bool
		if only != nil {
			if values = only[rule.String()]; len(values) == 0 {
				continue
			}
		}
		if err := r.evaluateRule(ctx, rule, values); err != nil {
			return fmt.Errorf("evaluate mapping rule %s: %w", rule, err)
		}
	}
	for _, rule := range prev {
		if !current[rule.String()] {
			if err := r.dropRule(ctx, rule); err != nil {
				return fmt.Errorf("remove relationships of dropped mapping rule %s: %w", rule, err)
			}
		}
	}
	return nil
}

// sideQuery starts a query over the live entities of one rule side,
// selecting id, scope, key, type and the property as JSON text. A class
// side is read through entity_classes unless byValue says the caller adds
// a condition on the (indexed) property, which then drives the lookup.
func (r *run) sideQuery(side, prop string, byValue bool) *query {
	q := newQuery(r.d).sql("SELECT e.id, e.scope, e.key, e.type, ")
	if r.d == store.Postgres {
		q.sql("(e.props -> " + pgString(prop) + ")::text")
	} else {
		q.sql("e.props -> '$.\"" + prop + "\"'")
	}
	switch {
	case !IsClassSide(side):
		q.sql(" FROM entities e WHERE ").notDeleted("e").sql(" AND e.type = ").arg(side)
	case byValue:
		q.sql(" FROM entities e WHERE ").notDeleted("e").
			sql(" AND EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = e.id AND c.class = ").arg(side).sql(")")
	default:
		q.sql(" FROM entity_classes c JOIN entities e ON e.id = c.entity_id WHERE c.class = ").arg(side).sql(" AND ").notDeleted("e")
	}
	return q
}

func (r *run) scanSide(ctx context.Context, q *query, fn func(*ruleEntity)) error {
	return r.st.Query(ctx, q.String(), q.args, func(row []any) error {
		e := &ruleEntity{id: rowInt(row[0]), scope: rowString(row[1]), key: rowString(row[2]), typ: rowString(row[3])}
		if row[4] != nil {
			v, err := graph.UnmarshalValue([]byte(rowString(row[4])))
			if err != nil {
				return fmt.Errorf("entity %s/%s: %w", e.scope, e.key, err)
			}
			e.values = canonicalValues(v)
		}
		fn(e)
		return nil
	})
}

// evaluateRule reads the source entities (all of them, or those holding
// one of values), looks up the targets holding one of their values, and
// writes the difference to the stored relationships.
func (r *run) evaluateRule(ctx context.Context, rule Rule, values map[string]bool) error {
	r.report.RulesEvaluated++
	var sources []*ruleEntity
	byValue := map[string][]*ruleEntity{}
	addSource := func(e *ruleEntity) {
		sources = append(sources, e)
		for _, v := range e.values {
			byValue[v] = append(byValue[v], e)
		}
	}
	var only []any
	for _, v := range sortedKeys(values) {
		only = append(only, storedForms(v)...)
	}
	if values == nil {
		if err := r.scanSide(ctx, r.sideQuery(rule.Source, rule.SourceProperty, false), addSource); err != nil {
			return fmt.Errorf("read sources: %w", err)
		}
	}
	for _, c := range chunks(only, chunkSize) {
		q := r.sideQuery(rule.Source, rule.SourceProperty, true).sql(" AND ").prop("e", rule.SourceProperty).sql(" IN ").jsonIn(c)
		if err := r.scanSide(ctx, q, addSource); err != nil {
			return fmt.Errorf("read sources: %w", err)
		}
	}
	var forms []any
	for _, v := range sortedKeys(byValue) {
		forms = append(forms, storedForms(v)...)
	}
	prefix := rule.keyPrefix()
	want := map[string]graph.Relationship{}
	for _, c := range chunks(forms, chunkSize) {
		q := r.sideQuery(rule.Target, rule.TargetProperty, true).sql(" AND ").prop("e", rule.TargetProperty).sql(" IN ").jsonIn(c)
		err := r.scanSide(ctx, q, func(t *ruleEntity) {
			for _, v := range t.values {
				for _, s := range byValue[v] {
					if s.id == t.id {
						continue
					}
					key := prefix + s.scope + "|" + s.key + "|" + t.scope + "|" + t.key
					want[key] = graph.Relationship{
						Key: key, Type: graph.RelationshipType(s.typ, rule.Relationship, t.typ), Class: rule.Relationship,
						FromKey: s.key, FromScope: s.scope, ToKey: t.key, ToScope: t.scope,
					}
				}
			}
		})
		if err != nil {
			return fmt.Errorf("read targets: %w", err)
		}
	}
	r.report.RuleMatches += int64(len(want))
	// Stored relationships of the rule leave the sources read; when only
	// some values are evaluated, those reaching targets that hold one of
	// them are stale too if their source no longer has it.
	ends := map[string][]any{"from_id": nil, "to_id": nil}
	for _, s := range sources {
		ends["from_id"] = append(ends["from_id"], s.id)
	}
	for _, c := range chunks(only, chunkSize) {
		q := r.sideQuery(rule.Target, rule.TargetProperty, true).sql(" AND ").prop("e", rule.TargetProperty).sql(" IN ").jsonIn(c)
		if err := r.scanSide(ctx, q, func(t *ruleEntity) { ends["to_id"] = append(ends["to_id"], t.id) }); err != nil {
			return fmt.Errorf("read targets: %w", err)
		}
	}
	have := map[string]bool{}
	for _, side := range []string{"from_id", "to_id"} {
		for _, c := range chunks(ends[side], chunkSize) {
			q := newQuery(r.d).sql("SELECT r.key FROM relationships r WHERE r."+side+" IN ").in(c).
				sql(" AND ").relScope("r", store.MapperScope).sql(" AND ").notDeleted("r")
			err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
				if k := rowString(row[0]); strings.HasPrefix(k, prefix) {
					have[k] = true
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read stored relationships: %w", err)
			}
		}
	}
	for _, k := range sortedKeys(want) {
		if !have[k] {
			if err := r.putRel(ctx, want[k]); err != nil {
				return err
			}
		}
	}
	for _, k := range sortedKeys(have) {
		if _, ok := want[k]; !ok {
			if err := r.deleteRel(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropRule deletes every relationship a rule made.
func (r *run) dropRule(ctx context.Context, rule Rule) error {
	prefix := rule.keyPrefix()
	q := newQuery(r.d).sql("SELECT r.key FROM relationships r WHERE r.scope = ").arg(store.MapperScope).
		sql(" AND ").notDeleted("r").sql(" AND substr(r.key, 1, ").sql(fmt.Sprint(len(prefix))).sql(") = ").arg(prefix)
	var keys []string
	if err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
		keys = append(keys, rowString(row[0]))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := r.deleteRel(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// incrementalRuleChanges bounds the change-log entries read to evaluate the
// rules for changed values only; a larger window re-evaluates every rule.
const incrementalRuleChanges = 50000

// changedRuleValues reads the entity changes in (after, hi] and returns,
// per rule, the comparison forms of the rule properties that changed
// entities had or have. It returns nil when the window is too large.
func (r *run) changedRuleValues(ctx context.Context, after, hi int64) (map[string]map[string]bool, error) {
	if hi-after > incrementalRuleChanges {
		return nil, nil
	}
	out := map[string]map[string]bool{}
	for _, rule := range r.m.opts.Rules {
		out[rule.String()] = map[string]bool{}
	}
	for cursor := after; cursor < hi; {
		cs, err := r.st.Changes(ctx, store.ChangeFilter{AfterSeq: cursor, Limit: r.m.opts.PageSize})
		if err != nil {
			return nil, fmt.Errorf("read changes after seq %d: %w", cursor, err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if c.Seq > hi {
				return out, nil
			}
			cursor = c.Seq
			if c.Kind != store.KindEntity || c.Scope == store.MapperScope {
				continue
			}
			for _, rule := range r.m.opts.Rules {
				set := out[rule.String()]
				for _, props := range []graph.Properties{c.Old, c.New} {
					for _, name := range []string{rule.SourceProperty, rule.TargetProperty} {
						if v, ok := props[name]; ok {
							for _, cv := range canonicalValues(v) {
								set[cv] = true
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}
