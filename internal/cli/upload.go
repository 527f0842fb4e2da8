package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/mapper"
	"github.com/qgraph/qgraph/internal/mapper/upload"
	"github.com/qgraph/qgraph/internal/store"
)

// UploadOptions are the parsed flags of qgraph upload.
type UploadOptions struct {
	Factory *Factory
	File    string
	Scope   string
	Mode    string
	Format  string
	// ConfigPath is the config file whose mappingRules apply; "" keeps the
	// rules of the last mapper run.
	ConfigPath string
}

var uploadScopeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func newUploadCmd(f *Factory) *cobra.Command {
	opts := &UploadOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "upload FILE [--scope NAME] [--mode replace|merge] [--config FILE]",
		Short: "Upload external entities and relationships from a JSON or NDJSON file",
		Long: "upload reads entities (_key, _type, _class and properties), relationships (_fromEntityKey/_toEntityKey) " +
			"and mapped relationships (_mapping) from FILE (\"-\" for standard input) into the scope upload:NAME, then " +
			"resolves mapped relationships and mapping rules, so an uploaded entity adopts the placeholder with its " +
			"_type and _key. --mode replace (the default) makes the scope equal to the file, so both ends of each " +
			"relationship must be entities of the file; merge only creates and updates, an end may also be an entity " +
			"stored in the scope before, and a relationship whose end is in neither is not stored and is listed. " +
			"A file with any invalid object is rejected whole (exit 2), listing every bad object by index and field. " +
			"A property whose name ends in On (createdOn) is a date: epoch milliseconds, or an ISO 8601 time with a " +
			"time zone or a date, stored as epoch milliseconds. " +
			"With --config, the mapping rules are the default ones plus the file's mappingRules (only that section is " +
			"read, so the instances' secrets need not be set), and a rule removed from the file loses its relationships; " +
			"without it, the rules the mapper last ran with (by sync or upload) stay in force.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return uploadRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "upload scope name (default: the file name without extension)")
	cmd.Flags().StringVar(&opts.Mode, "mode", "replace", "replace: the scope becomes the file; merge: create and update only")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "configuration file (YAML) whose mappingRules apply (default: keep the rules of the last run)")
	return cmd
}

func uploadRun(ctx context.Context, opts *UploadOptions) error {
	f := opts.Factory
	var mode store.SyncMode
	switch opts.Mode {
	case "replace":
		mode = store.Replace
	case "merge":
		mode = store.Merge
	default:
		return withExitCode(ExitUsage, fmt.Errorf("--mode %q: expected replace or merge", opts.Mode))
	}
	if opts.Format != "text" && opts.Format != "json" {
		return withExitCode(ExitUsage, fmt.Errorf("--format %q: expected text or json", opts.Format))
	}
	name := opts.Scope
	if name == "" {
		if opts.File == "-" {
			return withExitCode(ExitUsage, errors.New("--scope is required when reading standard input"))
		}
		base := filepath.Base(opts.File)
		name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if !uploadScopeRE.MatchString(name) {
		return withExitCode(ExitUsage, fmt.Errorf("scope name %q: use letters, digits, '.', '_' and '-' (set it with --scope)", name))
	}
	var rules []mapper.Rule
	if opts.ConfigPath != "" {
		cfg, err := config.LoadMappingRules(opts.ConfigPath, f.Getenv)
		if err != nil {
			return withExitCode(ExitUsage, err)
		}
		rules = cfg.MapperRules()
	}
	var in io.Reader = f.IO.In
	if opts.File != "-" {
		file, err := os.Open(opts.File)
		if err != nil {
			return withExitCode(ExitUsage, fmt.Errorf("open upload file: %w", err))
		}
		defer file.Close()
		in = file
	}
	st, err := f.CreateStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := upload.Run(ctx, st, in, upload.Params{Scope: store.UploadScope(name), Mode: mode})
	if err != nil {
		var (
			ie *upload.InvalidError
			fe *upload.FileError
		)
		if errors.As(err, &ie) || errors.As(err, &fe) {
			return withExitCode(ExitUsage, err)
		}
		return fmt.Errorf("upload %s: %w", opts.File, err)
	}
	if rules == nil {
		if rules, err = mapper.AppliedRules(ctx, st); err != nil {
			return fmt.Errorf("upload %s stored, but reading the mapping rules in force failed: %w", opts.File, err)
		}
	}
	rep, err := mapper.New(st, mapper.Options{Rules: rules, Logger: f.Logger()}).Resolve(ctx)
	if err != nil {
		return fmt.Errorf("upload %s stored, but resolving mapped relationships failed: %w", opts.File, err)
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Upload *upload.Result `json:"upload"`
			Mapper *mapper.Report `json:"mapper"`
		}{res, rep})
	}
	return printUpload(f.IO.Out, res, rep)
}

func printUpload(w io.Writer, res *upload.Result, rep *mapper.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Uploaded %d entities, %d relationships and %d mapped relationships into %s\n",
		res.Entities, res.Relationships, res.Mappings, res.Scope)
	section := func(kind string, m map[string]store.TypeCounts) {
		types := make([]string, 0, len(m))
		for t := range m {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			c := m[t]
			fmt.Fprintf(&b, "  %-13s %-40s created %d, updated %d, unchanged %d, deleted %d\n", kind, t, c.Created, c.Updated, c.Unchanged, c.Deleted)
		}
	}
	if res.Sync != nil {
		section("entity", res.Sync.Entities)
		section("relationship", res.Sync.Relationships)
		section("mapping", res.Sync.Mappings)
		if res.Sync.DanglingCount > 0 {
			printDangling(&b, res)
		}
	}
	fmt.Fprintf(&b, "Mapper: %d mappings resolved, %d relationships written, %d deleted, placeholders %d created, %d deleted, %d rule evaluations%s\n",
		rep.MappingsResolved+rep.MappingsRechecked, rep.RelationshipsPut, rep.RelationshipsDeleted,
		rep.PlaceholdersCreated, rep.PlaceholdersDeleted, rep.RulesEvaluated, mapperLeftovers(rep))
	_, err := io.WriteString(w, b.String())
	return err
}

// printDangling says which relationships the store dropped because an end
// is not an entity of the upload's scope (only a merge upload can have
// them), naming the missing ends, and how to link to an entity of another
// scope.
func printDangling(b *strings.Builder, res *upload.Result) {
	fmt.Fprintf(b, "  %d relationships were not stored because an end is neither an entity of the file nor stored in this upload's scope %s:\n",
		res.Sync.DanglingCount, res.Scope)
	const listed = 3
	if len(res.MissingEnds) > 0 {
		for _, m := range res.MissingEnds[:min(listed, len(res.MissingEnds))] {
			fmt.Fprintf(b, "    %s: %s %q is not an entity of %s\n", m.Relationship, m.Field, m.Key, res.Scope)
		}
		if len(res.MissingEnds) > listed {
			fmt.Fprintf(b, "    … and %d more missing ends\n", len(res.MissingEnds)-listed)
		}
	} else {
		fmt.Fprintf(b, "    e.g. %s\n", strings.Join(res.Sync.Dangling[:min(listed, len(res.Sync.Dangling))], ", "))
	}
	b.WriteString("  _fromEntityKey and _toEntityKey name entities of the same upload scope; " +
		"to link to an entity of another scope, give the relationship a _mapping instead\n")
}
