package j1ql_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store/sqlite"
	"github.com/qgraph/qgraph/questions"
)

// BenchmarkManagedQuestions runs every managed question against the store
// in $QGRAPH_BENCH_DB (built by bench/j1ql.sh) $QGRAPH_BENCH_RUNS times
// and prints p50/p95 latency and SQLite's query plan of each.
func BenchmarkManagedQuestions(b *testing.B) {
	db := os.Getenv("QGRAPH_BENCH_DB")
	if db == "" {
		b.Skip("QGRAPH_BENCH_DB is not set; run bench/j1ql.sh")
	}
	runs, _ := strconv.Atoi(os.Getenv("QGRAPH_BENCH_RUNS"))
	if runs <= 0 {
		runs = 20
	}
	// A query stops repeating once it has used its time budget (at least
	// one run), so that slow questions on large graphs stay bounded.
	budget, err := time.ParseDuration(os.Getenv("QGRAPH_BENCH_BUDGET"))
	if err != nil || budget <= 0 {
		budget = 30 * time.Second
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	qs, err := questions.Load()
	if err != nil {
		b.Fatal(err)
	}
	var report strings.Builder
	fmt.Fprintf(&report, "%-60s %8s %5s %10s %10s %10s\n", "question/query", "rows", "runs", "p50", "p95", "max")
	for i := 0; i < b.N; i++ {
		for _, q := range qs {
			for _, nq := range q.Queries {
				name := q.ID + "/" + nq.Name
				parsed, err := j1ql.Parse(nq.Query)
				if err != nil {
					b.Fatal(err)
				}
				plan, err := j1ql.Compile(nq.Query, parsed, st.Dialect(), j1ql.Options{})
				if err != nil {
					b.Fatal(err)
				}
				sql, args := plan.PageSQL(250, 0)
				fmt.Printf("\n-- %s: EXPLAIN QUERY PLAN\n", name)
				st.Query(ctx, "EXPLAIN QUERY PLAN "+sql, args, func(r []any) error {
					fmt.Printf("   %v\n", r[3])
					return nil
				})
				var took []time.Duration
				var total int64
				var spent time.Duration
				for r := 0; r < runs && (r == 0 || spent < budget); r++ {
					start := time.Now()
					res, err := j1ql.Execute(ctx, st, nq.Query, j1ql.Options{})
					if err != nil {
						b.Fatalf("%s: %v", name, err)
					}
					took = append(took, time.Since(start))
					spent += took[len(took)-1]
					total = res.TotalCount
				}
				sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
				p := func(q float64) time.Duration { return took[min(len(took)-1, int(q*float64(len(took))))] }
				fmt.Fprintf(&report, "%-60s %8d %5d %10s %10s %10s\n", name, total, len(took), p(0.5).Round(time.Millisecond), p(0.95).Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
			}
		}
	}
	fmt.Print("\n" + report.String())
}
