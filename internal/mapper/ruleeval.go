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
// removes those of rules no longer configured.
func (r *run) evaluateRules(ctx context.Context, prev []Rule) error {
	current := map[string]bool{}
	for _, rule := range r.m.opts.Rules {
		current[rule.String()] = true
		if err := r.evaluateRule(ctx, rule); err != nil {
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
	case !isClass(side):
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

// evaluateRule reads every source entity, looks up the targets holding one
// of their values, and writes the difference to the stored relationships.
func (r *run) evaluateRule(ctx context.Context, rule Rule) error {
	r.report.RulesEvaluated++
	var sources []*ruleEntity
	byValue := map[string][]*ruleEntity{}
	if err := r.scanSide(ctx, r.sideQuery(rule.Source, rule.SourceProperty, false), func(e *ruleEntity) {
		sources = append(sources, e)
		for _, v := range e.values {
			byValue[v] = append(byValue[v], e)
		}
	}); err != nil {
		return fmt.Errorf("read sources: %w", err)
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
	have := map[string]bool{}
	var ids []any
	for _, s := range sources {
		ids = append(ids, s.id)
	}
	for _, c := range chunks(ids, chunkSize) {
		q := newQuery(r.d).sql("SELECT r.key FROM relationships r WHERE r.from_id IN ").in(c).
			sql(" AND r.scope = ").arg(store.MapperScope).sql(" AND ").notDeleted("r")
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
