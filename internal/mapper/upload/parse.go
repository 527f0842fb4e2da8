package upload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
)

// Problem is one thing wrong with one object of an upload file.
type Problem struct {
	// Index is the 0-based position of the object in the file (within its
	// section for the {"entities": …} shape).
	Index int `json:"index"`
	// Section is "entities", "relationships" or "mappedRelationships" for
	// the sectioned shape, "" otherwise.
	Section string `json:"section,omitempty"`
	// Line is the line of an NDJSON object, 0 otherwise.
	Line int `json:"line,omitempty"`
	// Field is the offending field, "" when the object as a whole is wrong.
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

func (p Problem) where() string {
	w := fmt.Sprintf("object %d", p.Index)
	if p.Section != "" {
		w = fmt.Sprintf("%s[%d]", p.Section, p.Index)
	}
	if p.Line > 0 {
		w += fmt.Sprintf(" (line %d)", p.Line)
	}
	return w
}

// String renders "object 3: _key: is required".
func (p Problem) String() string {
	if p.Field == "" {
		return p.where() + ": " + p.Msg
	}
	return p.where() + ": " + p.Field + ": " + p.Msg
}

// InvalidError rejects a whole file, listing every problem found.
type InvalidError struct {
	Problems []Problem
	// Objects is how many objects the file holds.
	Objects int
}

// maxListed bounds the problems printed by Error.
const maxListed = 50

// Error renders the count of bad objects and the first problems, one per
// line.
func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upload rejected: %d invalid object(s) of %d, nothing was stored", countObjects(e.Problems), e.Objects)
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more problems", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func countObjects(ps []Problem) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.where()] = true
	}
	return len(seen)
}

// Object is one parsed graph object: exactly one field is set.
type Object struct {
	Entity       *graph.Entity
	Relationship *graph.Relationship
	Mapping      *graph.MappedRelationship
}

// item is one raw object and where it came from.
type item struct {
	raw     json.RawMessage
	index   int
	section string
	line    int
}

// reader yields the raw objects of an upload file in order.
type reader struct {
	br   *bufio.Reader
	dec  *json.Decoder
	next func() (*item, error)
}

// newReader sniffs the shape of the file from its first bytes.
func newReader(r io.Reader) (*reader, error) {
	rd := &reader{br: bufio.NewReaderSize(r, 1<<16)}
	first, err := firstByte(rd.br)
	if err == io.EOF {
		return nil, errors.New("upload file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("read upload file: %w", err)
	}
	switch first {
	case '[':
		rd.dec = json.NewDecoder(rd.br)
		if _, err := rd.dec.Token(); err != nil {
			return nil, fmt.Errorf("read upload file: %w", err)
		}
		n := 0
		rd.next = func() (*item, error) {
			if !rd.dec.More() {
				if _, err := rd.dec.Token(); err != nil {
					return nil, syntaxErr(rd.dec, n, err)
				}
				return nil, io.EOF
			}
			var raw json.RawMessage
			if err := rd.dec.Decode(&raw); err != nil {
				return nil, syntaxErr(rd.dec, n, err)
			}
			it := &item{raw: raw, index: n}
			n++
			return it, nil
		}
	case '{':
		return rd, rd.sniffObject()
	default:
		return nil, fmt.Errorf("upload file must hold a JSON array, a JSON object or NDJSON objects; it starts with %q", first)
	}
	return rd, nil
}

// sniffObject tells NDJSON from the sectioned shape: an object whose
// first field is a section name starts the sectioned shape.
func (rd *reader) sniffObject() error {
	head, _ := rd.br.Peek(rd.br.Buffered())
	dec := json.NewDecoder(bytes.NewReader(head))
	sectioned := false
	if _, err := dec.Token(); err == nil {
		if tok, err := dec.Token(); err == nil {
			name, _ := tok.(string)
			sectioned = contains(sections, name)
		}
	}
	if sectioned {
		return rd.sectioned()
	}
	rd.ndjson()
	return nil
}

var sections = []string{"entities", "relationships", "mappedRelationships"}

func (rd *reader) ndjson() {
	line := 0
	n := 0
	rd.next = func() (*item, error) {
		for {
			b, err := rd.br.ReadBytes('\n')
			if len(b) == 0 && err != nil {
				if err == io.EOF {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("read upload file: %w", err)
			}
			line++
			b = bytes.TrimSpace(b)
			if len(b) == 0 {
				continue
			}
			it := &item{raw: append(json.RawMessage(nil), b...), index: n, line: line}
			n++
			if !json.Valid(b) {
				it.raw = nil
			}
			return it, nil
		}
	}
}

func (rd *reader) sectioned() error {
	rd.dec = json.NewDecoder(rd.br)
	if _, err := rd.dec.Token(); err != nil {
		return fmt.Errorf("read upload file: %w", err)
	}
	section := ""
	n := 0
	rd.next = func() (*item, error) {
		for {
			if section != "" {
				if rd.dec.More() {
					var raw json.RawMessage
					if err := rd.dec.Decode(&raw); err != nil {
						return nil, syntaxErr(rd.dec, n, err)
					}
					it := &item{raw: raw, index: n, section: section}
					n++
					return it, nil
				}
				if _, err := rd.dec.Token(); err != nil {
					return nil, syntaxErr(rd.dec, n, err)
				}
				section = ""
			}
			if !rd.dec.More() {
				if _, err := rd.dec.Token(); err != nil {
					return nil, syntaxErr(rd.dec, n, err)
				}
				return nil, io.EOF
			}
			tok, err := rd.dec.Token()
			if err != nil {
				return nil, syntaxErr(rd.dec, n, err)
			}
			name, _ := tok.(string)
			if !contains(sections, name) {
				return nil, fmt.Errorf("upload file: unknown top-level field %q (expected %s)", name, strings.Join(sections, ", "))
			}
			if tok, err := rd.dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, fmt.Errorf("upload file: %q must be an array", name)
			}
			section, n = name, 0
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func syntaxErr(dec *json.Decoder, n int, err error) error {
	return fmt.Errorf("upload file is not valid JSON near byte %d (after %d objects): %w", dec.InputOffset(), n, err)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF {
			continue
		}
		if err := br.UnreadByte(); err != nil {
			return 0, err
		}
		return b, nil
	}
}

// decode turns one raw object into a graph object; problems name fields.
func decode(it *item) (Object, []Problem) {
	bad := func(field, format string, args ...any) Problem {
		return Problem{Index: it.index, Section: it.section, Line: it.line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if it.raw == nil {
		return Object{}, []Problem{bad("", "not valid JSON")}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(it.raw, &fields); err != nil {
		return Object{}, []Problem{bad("", "not a JSON object")}
	}
	var probs []Problem
	str := func(name string, required bool) string {
		raw, ok := fields[name]
		if !ok {
			if required {
				probs = append(probs, bad(name, "is required"))
			}
			return ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			probs = append(probs, bad(name, "must be a string"))
		}
		return s
	}
	_, isRel := fields["_fromEntityKey"]
	_, hasTo := fields["_toEntityKey"]
	_, isMapping := fields["_mapping"]
	isRel = isRel || hasTo
	switch it.section {
	case "entities":
		if isRel || isMapping {
			probs = append(probs, bad("", "a relationship in the entities section"))
		}
	case "relationships":
		if !isRel && !isMapping {
			probs = append(probs, bad("_fromEntityKey", "is required for a relationship (or give a _mapping)"))
			isRel = true
		}
	case "mappedRelationships":
		if !isMapping {
			probs = append(probs, bad("_mapping", "is required"))
			isMapping = true
		}
	}
	switch {
	case isMapping:
		m, ps := decodeMapping(fields, bad)
		probs = append(probs, ps...)
		if len(probs) == 0 {
			if err := graph.ValidateMappedRelationship(m); err != nil {
				probs = append(probs, validationProblems(err, bad)...)
			}
		}
		return Object{Mapping: m}, probs
	case isRel:
		r := &graph.Relationship{Key: str("_key", true), Type: str("_type", true), Class: str("_class", true),
			FromKey: str("_fromEntityKey", true), ToKey: str("_toEntityKey", true)}
		r.Properties = properties(fields, &probs, bad, "_key", "_type", "_class", "_fromEntityKey", "_toEntityKey")
		if len(probs) == 0 {
			if err := graph.ValidateRelationship(r); err != nil {
				probs = append(probs, validationProblems(err, bad)...)
			}
		}
		return Object{Relationship: r}, probs
	default:
		e := &graph.Entity{Key: str("_key", true), Type: str("_type", true)}
		e.Class = classes(fields, &probs, bad)
		e.Properties = properties(fields, &probs, bad, "_key", "_type", "_class")
		if len(probs) == 0 {
			if err := graph.ValidateEntity(e); err != nil {
				probs = append(probs, validationProblems(err, bad)...)
			}
		}
		return Object{Entity: e}, probs
	}
}

type badFunc func(field, format string, args ...any) Problem

// classes reads _class: a string or an array of strings.
func classes(fields map[string]json.RawMessage, probs *[]Problem, bad badFunc) []string {
	raw, ok := fields["_class"]
	if !ok {
		*probs = append(*probs, bad("_class", "is required"))
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	*probs = append(*probs, bad("_class", "must be a string or an array of strings"))
	return nil
}

// properties collects every field but the named reserved ones, typed.
func properties(fields map[string]json.RawMessage, probs *[]Problem, bad badFunc, skip ...string) graph.Properties {
	p := graph.Properties{}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if contains(skip, k) {
			continue
		}
		v, err := graph.UnmarshalValue(fields[k])
		if err != nil {
			*probs = append(*probs, bad(k, "%v", err))
			continue
		}
		p[k] = v
	}
	return p
}

// validationProblems turns graph validation errors into problems.
func validationProblems(err error, bad badFunc) []Problem {
	var out []Problem
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ve *graph.ValidationError
		if errors.As(e, &ve) {
			out = append(out, bad(ve.Property, "%s", ve.Msg))
			return
		}
		out = append(out, bad("", "%v", e))
	}
	walk(err)
	return out
}
