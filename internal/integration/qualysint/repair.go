package qualysint

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/store"
)

// A job whose KnowledgeBase step fails stores its findings without their
// qualys_vuln: the IS link of each finding dangles and is not stored, nor
// are its CVE links. An incremental job re-reads only the findings that
// changed since, so the vulnerability step of every incremental job also
// repairs what earlier jobs left unlinked: it asks the store for the QIDs
// of live findings that have no qualys_vuln (storedQIDsWithoutVuln),
// fetches them with the job's own QIDs, and links every stored finding of
// a fetched QID to its vulnerability and CVEs (relinkStored). Both reads
// stream rows from the store; what the job keeps is one set of QIDs.

// relinkChunk is the number of QIDs per query of relinkStored.
const relinkChunk = 500

// storedQIDsWithoutVuln returns the QIDs that live findings of the job's
// scope, as committed by earlier jobs, refer to but that have no live
// qualys_vuln.
func storedQIDsWithoutVuln(ctx context.Context, s *integration.StepContext) (map[int64]bool, error) {
	st := s.Store()
	var sql string
	var args []any
	switch st.Dialect() {
	case store.Postgres:
		sql = `SELECT (f.qid)::bigint FROM (
  SELECT DISTINCT props -> 'qid' AS qid FROM entities
  WHERE type IN ($1, $2) AND NOT deleted AND scope = $3
) AS f
WHERE jsonb_typeof(f.qid) = 'number' AND (f.qid)::text ~ '^[1-9][0-9]{0,17}$'
  AND NOT EXISTS (SELECT 1 FROM entities AS v WHERE v.scope = $3 AND v.key = $4 || (f.qid)::text AND NOT v.deleted)`
		args = []any{TypeHostFinding, TypeWebFinding, s.Scope(), vulnKeyPrefix}
	default:
		// The distinct QIDs come from the covering index on qid; most
		// have their vulnerability, so the finding lookup runs for few.
		sql = `SELECT q.qid FROM (
  SELECT DISTINCT json_extract(props, '$."qid"') AS qid FROM entities
  WHERE json_extract(props, '$."qid"') IS NOT NULL
) AS q
WHERE typeof(q.qid) = 'integer' AND q.qid > 0
  AND NOT EXISTS (SELECT 1 FROM entities AS v WHERE v.scope = ? AND v.key = ? || q.qid AND NOT v.deleted)
  AND EXISTS (SELECT 1 FROM entities AS f WHERE json_extract(f.props, '$."qid"') = q.qid AND +f.type IN (?, ?) AND NOT f.deleted AND +f.scope = ?)`
		args = []any{s.Scope(), vulnKeyPrefix, TypeHostFinding, TypeWebFinding, s.Scope()}
	}
	out := map[int64]bool{}
	err := st.Query(ctx, sql, args, func(row []any) error {
		if q, ok := queryInt(row[0]); ok && q > 0 {
			out[q] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find the QIDs of stored findings without a vulnerability in %s: %w", s.Scope(), err)
	}
	return out, nil
}

// relinkStored emits, for every live stored finding of the job's scope
// whose QID is in qids, its IS link to the qualys_vuln of the QID and its
// mapped IS links to the CVEs of cves[qid]. The vulnerabilities must have
// been emitted by the job. It returns the number of findings linked.
func relinkStored(ctx context.Context, s *integration.StepContext, qids []int64, cves map[int64][]graph.Entity) (int64, error) {
	qids = slices.Clone(qids)
	slices.Sort(qids)
	st := s.Store()
	var linked int64
	for len(qids) > 0 {
		chunk := qids[:min(relinkChunk, len(qids))]
		qids = qids[len(chunk):]
		sql, args := storedFindingsQuery(st.Dialect(), s.Scope(), chunk)
		err := st.Query(ctx, sql, args, func(row []any) error {
			key, _ := row[0].(string)
			typ, _ := row[1].(string)
			qid, ok := queryInt(row[2])
			if key == "" || !ok {
				return nil
			}
			isVuln, isCVE := RelHostFindingIsVuln, RelHostFindingIsCVE
			if typ == TypeWebFinding {
				isVuln, isCVE = RelWebFindingIsVuln, RelWebFindingIsCVE
			}
			if err := s.AddRelationships(ctx, vulnLink(key, isVuln, qid)); err != nil {
				return err
			}
			for _, cve := range cves[qid] {
				if err := s.AddMappings(ctx, CVEMapping(key, isCVE, cve)); err != nil {
					return err
				}
			}
			linked++
			return nil
		})
		if err != nil {
			return linked, fmt.Errorf("link stored findings of QIDs %d to %d to their vulnerabilities: %w", chunk[0], chunk[len(chunk)-1], err)
		}
	}
	return linked, nil
}

// storedFindingsQuery selects key, type and qid of the live findings of a
// scope with one of the QIDs, through the stores' index on qid.
func storedFindingsQuery(d store.Dialect, scope string, qids []int64) (string, []any) {
	args := make([]any, 0, len(qids)+3)
	args = append(args, TypeHostFinding, TypeWebFinding, scope)
	var b strings.Builder
	for i, q := range qids {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, q)
		if d == store.Postgres {
			b.WriteString("to_jsonb($" + strconv.Itoa(len(args)) + "::bigint)")
		} else {
			b.WriteString("?")
		}
	}
	if d == store.Postgres {
		return `SELECT key, type, (props -> 'qid')::text FROM entities
WHERE type IN ($1, $2) AND NOT deleted AND scope = $3 AND (props -> 'qid') IN (` + b.String() + `)`, args
	}
	// The unary + keeps SQLite from reading the whole scope through its
	// (scope, key) index instead of the few rows of the QIDs.
	return `SELECT key, type, json_extract(props, '$."qid"') FROM entities
WHERE +type IN (?, ?) AND NOT deleted AND +scope = ? AND json_extract(props, '$."qid"') IN (` + b.String() + `)`, args
}

// queryInt reads an integer column of Store.Query: int64, an integral
// float64, or decimal text.
func queryInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}
