package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/mapper"
	"github.com/qgraph/qgraph/internal/store"
)

// JobsOptions are the inputs of qgraph jobs list and show.
type JobsOptions struct {
	Factory  *Factory
	Instance string
	Limit    int
	Format   string
	JobID    string
}

func newJobsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List past sync jobs and show their reports",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newJobsListCmd(f, nil), newJobsShowCmd(f, nil))
	return cmd
}

func newJobsListCmd(f *Factory, runF func(*JobsOptions) error) *cobra.Command {
	opts := &JobsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list [--instance NAME] [--limit N] [--format table|json]",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return jobsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Instance, "instance", "", "only jobs of this instance")
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "at most this many jobs (0: all)")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func newJobsShowCmd(f *Factory, runF func(*JobsOptions) error) *cobra.Command {
	opts := &JobsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "show ID [--format table|json]",
		Short: "Show a job's report",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			opts.JobID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return jobsShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func checkFormat(format string) error {
	if format != "table" && format != "json" {
		return withExitCode(ExitUsage, fmt.Errorf("unknown --format %q (use table or json)", format))
	}
	return nil
}

// jobSummary is one row of jobs list --format json.
type jobSummary struct {
	ID             string    `json:"id"`
	Instance       string    `json:"instance"`
	Status         string    `json:"status"`
	Full           bool      `json:"full"`
	StartedAt      time.Time `json:"startedAt"`
	FinishedAt     time.Time `json:"finishedAt"`
	DurationMillis int64     `json:"durationMillis"`
	FailedSteps    []string  `json:"failedSteps"`
}

func jobsListRun(ctx context.Context, opts *JobsOptions) error {
	f := opts.Factory
	st, err := f.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	filter := store.JobFilter{Limit: opts.Limit}
	if opts.Instance != "" {
		filter.Scope = store.InstanceScope(opts.Instance)
	}
	jobs, err := st.ListJobs(ctx, filter)
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	rows := make([]jobSummary, 0, len(jobs))
	for i := range jobs {
		rep, err := integration.ReadReport(&jobs[i])
		if err != nil {
			return err
		}
		row := jobSummary{ID: rep.JobID, Instance: strings.TrimPrefix(jobs[i].Scope, "instance:"), Status: jobs[i].Status, Full: rep.Full,
			StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, DurationMillis: rep.DurationMillis, FailedSteps: []string{}}
		for _, s := range rep.Steps {
			if s.Status == integration.StatusFailed {
				row.FailedSteps = append(row.FailedSteps, s.ID)
			}
		}
		rows = append(rows, row)
	}
	if opts.Format == "json" {
		return writeJSON(f.IO.Out, rows)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINSTANCE\tSTATUS\tMODE\tSTARTED\tDURATION\tFAILED STEPS")
	for _, r := range rows {
		mode := "incremental"
		if r.Full {
			mode = "full"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Instance, r.Status, mode, r.StartedAt.Format(time.RFC3339),
			(time.Duration(r.DurationMillis) * time.Millisecond).String(), strings.Join(r.FailedSteps, ","))
	}
	return tw.Flush()
}

func jobsShowRun(ctx context.Context, opts *JobsOptions) error {
	f := opts.Factory
	st, err := f.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	j, err := st.GetJob(ctx, opts.JobID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no job %q (see qgraph jobs list)", opts.JobID)
	}
	if err != nil {
		return fmt.Errorf("read job %s: %w", opts.JobID, err)
	}
	rep, err := integration.ReadReport(j)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return writeJSON(f.IO.Out, rep)
	}
	var ends map[string][]missingEnd
	if rep.Sync != nil && len(rep.Sync.Dangling) > 0 {
		scope := rep.Scope
		if scope == "" {
			scope = store.InstanceScope(rep.Instance)
		}
		if ends, err = findMissingEnds(ctx, st, scope, rep.Sync.Dangling[:min(danglingListed, len(rep.Sync.Dangling))]); err != nil {
			return err
		}
	}
	writeReportEnds(f.IO.Out, rep, true, ends)
	return nil
}

// danglingListed is how many dropped relationships a report lists.
const danglingListed = 3

// missingEnd is an end of a dropped relationship that names no entity.
type missingEnd struct {
	field string // _fromEntityKey or _toEntityKey
	key   string
}

// findMissingEnds works out which end of each dropped relationship of a
// job was missing. The report keeps only the relationships' keys, so the
// ends are read from the key, which for a direct relationship is
// <from _key>|<class>|<to _key>, and looked up in the job's scope as the
// store holds it now. A split of the key whose one end is an entity and
// other is not wins; failing that, one where neither is. A key that does
// not split so gets no entry.
func findMissingEnds(ctx context.Context, st store.Store, scope string, rels []string) (map[string][]missingEnd, error) {
	live := func(key string) (bool, error) {
		e, err := st.GetEntity(ctx, scope, key)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("look up entity %s of %s: %w", key, scope, err)
		}
		return !e.Deleted, nil
	}
	out := map[string][]missingEnd{}
	for _, rel := range rels {
		parts := strings.Split(rel, "|")
		var both []missingEnd
		for i := 1; i < len(parts)-1 && out[rel] == nil; i++ {
			if !isClassWord(parts[i]) {
				continue
			}
			from, to := strings.Join(parts[:i], "|"), strings.Join(parts[i+1:], "|")
			fromOK, err := live(from)
			if err != nil {
				return nil, err
			}
			toOK, err := live(to)
			if err != nil {
				return nil, err
			}
			switch {
			case fromOK && !toOK:
				out[rel] = []missingEnd{{"_toEntityKey", to}}
			case !fromOK && toOK:
				out[rel] = []missingEnd{{"_fromEntityKey", from}}
			case !fromOK && !toOK && both == nil:
				both = []missingEnd{{"_fromEntityKey", from}, {"_toEntityKey", to}}
			}
		}
		if out[rel] == nil && both != nil {
			out[rel] = both
		}
	}
	return out, nil
}

// isClassWord reports whether s can be the lower-cased relationship class
// in a relationship _key (has, is, scans, identified).
func isClassWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeReport prints a job report: the job line, a table of steps, the
// objects by type, and the notes (failed pages, missing QIDs). The types
// the job kept instead of replacing are listed when verbose or when the job
// did not succeed; on a successful incremental run they are the expected
// upsert-only types and only add noise.
func writeReport(w io.Writer, rep *integration.Report, verbose bool) {
	writeReportEnds(w, rep, verbose, nil)
}

// mapperReport reads the mapper's report out of a job report's
// AfterCommit: a *mapper.Report right after the run, decoded JSON when the
// job is read back. It returns nil when there is none.
// mapperLeftovers names, for the one-line mapper summaries, the mappings
// that made no relationship: empty when there are none.
func mapperLeftovers(mr *mapper.Report) string {
	var out string
	if mr.Unresolved > 0 {
		out += fmt.Sprintf("; %d left without a target (no entity matched, and skipTargetCreation or an invalid target description kept one from being made)", mr.Unresolved)
	}
	switch {
	case mr.InvalidTargets == 1:
		out += "; 1 target description is not a valid entity, so no placeholder was made for it"
	case mr.InvalidTargets > 1:
		out += fmt.Sprintf("; %d target descriptions are not valid entities, so no placeholder was made for them", mr.InvalidTargets)
	}
	return out
}

func mapperReport(v any) *mapper.Report {
	if v == nil {
		return nil
	}
	if mr, ok := v.(*mapper.Report); ok {
		return mr
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var mr mapper.Report
	if err := json.Unmarshal(b, &mr); err != nil {
		return nil
	}
	return &mr
}

// writeReportEnds is writeReport naming, for the dropped relationships
// listed, the missing ends found by findMissingEnds.
func writeReportEnds(w io.Writer, rep *integration.Report, verbose bool, ends map[string][]missingEnd) {
	mode := "incremental"
	if rep.Full {
		mode = "full"
	}
	fmt.Fprintf(w, "\nJob %s  instance %s  %s  status %s  %s\n", rep.JobID, rep.Instance, mode, rep.Status,
		(time.Duration(rep.DurationMillis) * time.Millisecond).Round(time.Millisecond))
	if rep.CommitMillis > 0 || rep.AfterCommitMillis > 0 {
		fmt.Fprintf(w, "  store commit %s, mapper %s\n", (time.Duration(rep.CommitMillis) * time.Millisecond).String(),
			(time.Duration(rep.AfterCommitMillis) * time.Millisecond).String())
	}
	if mr := mapperReport(rep.AfterCommit); mr != nil {
		fmt.Fprintf(w, "  mapper: %d mappings resolved, %d relationships written, %d deleted, placeholders %d created, %d deleted%s\n",
			mr.MappingsResolved+mr.MappingsRechecked, mr.RelationshipsPut, mr.RelationshipsDeleted, mr.PlaceholdersCreated, mr.PlaceholdersDeleted,
			mapperLeftovers(mr))
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", rep.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STEP\tSTATUS\tDURATION\tCREATED\tUPDATED\tDELETED\tPAGES RETRIED\tPAGES FAILED")
	for _, s := range rep.Steps {
		var c store.TypeCounts
		for _, tc := range s.Objects {
			c.Created += tc.Created
			c.Updated += tc.Updated
			c.Deleted += tc.Deleted
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", s.ID, s.Status, (time.Duration(s.DurationMillis) * time.Millisecond).String(),
			c.Created, c.Updated, c.Deleted, s.PagesRetried, s.PagesFailed)
	}
	_ = tw.Flush()

	if rep.Sync != nil {
		fmt.Fprintln(w, "\n  Objects by type:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KIND\tTYPE\tCREATED\tUPDATED\tUNCHANGED\tDELETED")
		for _, kind := range []struct {
			name string
			m    map[string]store.TypeCounts
		}{{"entity", rep.Sync.Entities}, {"relationship", rep.Sync.Relationships}, {"mapping", rep.Sync.Mappings}} {
			types := make([]string, 0, len(kind.m))
			for t := range kind.m {
				types = append(types, t)
			}
			sort.Strings(types)
			for _, t := range types {
				c := kind.m[t]
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\n", kind.name, t, c.Created, c.Updated, c.Unchanged, c.Deleted)
			}
		}
		_ = tw.Flush()
		if rep.Sync.DanglingCount > 0 {
			writeDangling(w, rep, ends)
		}
	}
	for _, s := range rep.Steps {
		if s.Error != "" {
			fmt.Fprintf(w, "  %s: %s\n", s.ID, s.Error)
		}
		for _, r := range s.PartialReasons {
			fmt.Fprintf(w, "  %s: partial: %s\n", s.ID, r)
		}
		if qids := s.Lists["qidsMissingFromKnowledgeBase"]; len(qids) > 0 {
			fmt.Fprintf(w, "  %s: %d QID(s) not returned by the KnowledgeBase: %s\n", s.ID, len(qids), strings.Join(qids, ", "))
		}
	}
	if len(rep.PartialTypes) > 0 && (verbose || rep.Status != integration.StatusSuccess) {
		fmt.Fprintf(w, "  kept (partial) types: %s\n", strings.Join(rep.PartialTypes, ", "))
	}
}

// writeDangling says which relationships of a job the store dropped because
// an end was not an entity of the job's data, naming the first few and, when
// ends holds them, the missing end and its key.
func writeDangling(w io.Writer, rep *integration.Report, ends map[string][]missingEnd) {
	fmt.Fprintf(w, "  %d relationship(s) were not stored because an end was not an entity of the job's data in %s:\n",
		rep.Sync.DanglingCount, rep.Scope)
	listed := rep.Sync.Dangling[:min(danglingListed, len(rep.Sync.Dangling))]
	for _, rel := range listed {
		ms, ok := ends[rel]
		if !ok {
			fmt.Fprintf(w, "    %s\n", rel)
			continue
		}
		for _, m := range ms {
			fmt.Fprintf(w, "    %s: %s %q was not in the job's data\n", rel, m.field, m.key)
		}
	}
	if more := rep.Sync.DanglingCount - int64(len(listed)); more > 0 {
		fmt.Fprintf(w, "    … and %d more\n", more)
	}
	if ends == nil && len(listed) > 0 {
		fmt.Fprintf(w, "    (qgraph jobs show %s names the missing ends)\n", rep.JobID)
	}
}
