// Package questions holds the managed questions shipped with qgraph: named
// J1QL queries about the Qualys graph, one YAML file per question,
// embedded in the binary. Load parses and checks them; a test makes sure
// every query parses.
package questions

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/qgraph/qgraph/internal/j1ql"
)

//go:embed *.yaml
var files embed.FS

// Question is a managed question: one or more named queries with a title,
// a description and tags.
type Question struct {
	ID          string       `yaml:"id" json:"id"`
	Title       string       `yaml:"title" json:"title"`
	Description string       `yaml:"description" json:"description"`
	Tags        []string     `yaml:"tags" json:"tags"`
	Queries     []NamedQuery `yaml:"queries" json:"queries"`
}

// NamedQuery is one query of a question.
type NamedQuery struct {
	Name  string `yaml:"name" json:"name"`
	Query string `yaml:"query" json:"query"`
}

// Load returns the embedded questions sorted by ID. It fails when a file
// is malformed, an ID repeats, or a query does not parse.
func Load() ([]Question, error) {
	return load(files)
}

// Find returns the question with the given ID.
func Find(id string) (*Question, error) {
	qs, err := Load()
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range qs {
		if qs[i].ID == id {
			return &qs[i], nil
		}
		ids = append(ids, qs[i].ID)
	}
	return nil, fmt.Errorf("no managed question %q; known questions: %s", id, strings.Join(ids, ", "))
}

func load(fsys fs.FS) ([]Question, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list managed questions: %w", err)
	}
	var out []Question
	seen := map[string]string{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read managed question %s: %w", name, err)
		}
		var q Question
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("decode managed question %s: %w", name, err)
		}
		if err := check(&q); err != nil {
			return nil, fmt.Errorf("managed question %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); q.ID != want {
			return nil, fmt.Errorf("managed question %s: id %q does not match the file name", name, q.ID)
		}
		if other, dup := seen[q.ID]; dup {
			return nil, fmt.Errorf("managed question id %q appears in %s and %s", q.ID, other, name)
		}
		seen[q.ID] = name
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// check validates the fields of q and parses its queries.
func check(q *Question) error {
	switch {
	case q.ID == "":
		return fmt.Errorf("id is required")
	case q.Title == "":
		return fmt.Errorf("title is required")
	case len(q.Queries) == 0:
		return fmt.Errorf("at least one query is required")
	}
	names := map[string]bool{}
	for i := range q.Queries {
		nq := &q.Queries[i]
		nq.Query = strings.TrimSpace(nq.Query)
		if nq.Name == "" {
			return fmt.Errorf("query %d: name is required", i+1)
		}
		if names[nq.Name] {
			return fmt.Errorf("query name %q repeats", nq.Name)
		}
		names[nq.Name] = true
		if _, err := j1ql.Parse(nq.Query); err != nil {
			return fmt.Errorf("query %q: %w", nq.Name, err)
		}
	}
	return nil
}
