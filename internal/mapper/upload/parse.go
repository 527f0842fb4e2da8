package upload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// seq is the position of the object in the whole file, to list the
	// problems in file order.
	seq int
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
	// seq is the 0-based position of the object in the whole file.
	seq int
	// badJSON says why raw is not valid JSON (NDJSON lines only); raw is
	// nil then.
	badJSON string
}

// reader yields the raw objects of an upload file in order.
type reader struct {
	br   *bufio.Reader
	pos  *tracker
	dec  *json.Decoder
	next func() (*item, error)
}

// newReader sniffs the shape of the file from its first bytes.
func newReader(r io.Reader) (*reader, error) {
	rd := &reader{br: bufio.NewReaderSize(r, 1<<16)}
	rd.pos = newTracker(rd.br)
	first, err := firstByte(rd.br, rd.pos)
	if err == io.EOF {
		return nil, &FileError{Msg: "the file is empty; it must hold a JSON array, a JSON object or NDJSON objects"}
	}
	if err != nil {
		return nil, fmt.Errorf("read upload file: %w", err)
	}
	switch first {
	case '[':
		rd.dec = json.NewDecoder(rd.pos)
		if _, err := rd.dec.Token(); err != nil {
			return nil, rd.pos.syntaxError(err, 0, "")
		}
		n := 0
		rd.next = func() (*item, error) {
			rd.pos.forget(rd.dec.InputOffset())
			if !rd.dec.More() {
				if _, err := rd.dec.Token(); err != nil {
					return nil, rd.pos.syntaxError(err, n, "")
				}
				if err := rd.noTrailing(); err != nil {
					return nil, err
				}
				return nil, io.EOF
			}
			start := rd.dec.InputOffset()
			var raw json.RawMessage
			if err := rd.dec.Decode(&raw); err != nil {
				return nil, rd.pos.valueError(err, n, "", start)
			}
			it := &item{raw: raw, index: n}
			n++
			return it, nil
		}
	case '{':
		return rd, rd.sniffObject()
	default:
		line, col := rd.pos.at(rd.pos.end(), "")
		return nil, &FileError{Line: line, Column: col,
			Msg: fmt.Sprintf("the file must hold a JSON array, a JSON object or NDJSON objects; it starts with %q", first)}
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
	if err := rd.misspeltSection(head); err != nil {
		return err
	}
	rd.ndjson()
	return nil
}

// misspeltSection refuses a file whose first object starts with a field
// that is nearly a section name and holds an array, such as "entites": it
// would otherwise be read as one NDJSON object missing every required
// field.
func (rd *reader) misspeltSection(head []byte) error {
	dec := json.NewDecoder(bytes.NewReader(head))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	at := dec.InputOffset()
	tok, err := dec.Token()
	name, ok := tok.(string)
	if err != nil || !ok || strings.HasPrefix(name, "_") {
		return nil
	}
	if next, err := dec.Token(); err != nil || next != json.Delim('[') {
		return nil
	}
	for _, sec := range sections {
		if editDistance(strings.ToLower(name), strings.ToLower(sec)) <= 2 {
			// head starts at the first object's '{', whose line and
			// column the tracker holds; the name starts after white space.
			for at < int64(len(head)) && strings.IndexByte(" \t\r\n", head[at]) >= 0 {
				at++
			}
			line, col := rd.pos.line, rd.pos.col+utf8.RuneCount(head[:at])
			if nl := bytes.LastIndexByte(head[:at], '\n'); nl >= 0 {
				line += bytes.Count(head[:at], []byte("\n"))
				col = 1 + utf8.RuneCount(head[nl+1:at])
			}
			return &FileError{Line: line, Column: col,
				Msg: fmt.Sprintf("unknown top-level field %q: did you mean %q? (expected %s)", name, sec, strings.Join(sections, ", "))}
		}
	}
	return nil
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var sections = []string{"entities", "relationships", "mappedRelationships"}

func (rd *reader) ndjson() {
	// firstByte skipped the blank lines and the white space before the
	// first object.
	line := rd.pos.line - 1
	firstLead := rd.pos.col - 1
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
			lead := utf8.RuneCount(b[:len(b)-len(bytes.TrimLeft(b, " \t\r\n"))])
			if n == 0 {
				lead += firstLead
			}
			b = bytes.TrimSpace(b)
			if len(b) == 0 {
				continue
			}
			it := &item{raw: append(json.RawMessage(nil), b...), index: n, line: line}
			n++
			var check json.RawMessage
			if err := json.Unmarshal(b, &check); err != nil {
				it.raw = nil
				it.badJSON = describeLineError(lead, b, err)
			}
			return it, nil
		}
	}
}

func (rd *reader) sectioned() error {
	rd.dec = json.NewDecoder(rd.pos)
	if _, err := rd.dec.Token(); err != nil {
		return rd.pos.syntaxError(err, 0, "")
	}
	section := ""
	n := 0
	rd.next = func() (*item, error) {
		for {
			rd.pos.forget(rd.dec.InputOffset())
			if section != "" {
				if rd.dec.More() {
					start := rd.dec.InputOffset()
					var raw json.RawMessage
					if err := rd.dec.Decode(&raw); err != nil {
						return nil, rd.pos.valueError(err, n, section, start)
					}
					it := &item{raw: raw, index: n, section: section}
					n++
					return it, nil
				}
				if _, err := rd.dec.Token(); err != nil {
					return nil, rd.pos.syntaxError(err, n, section)
				}
				section = ""
				rd.pos.forget(rd.dec.InputOffset())
			}
			if !rd.dec.More() {
				if _, err := rd.dec.Token(); err != nil {
					return nil, rd.pos.syntaxError(err, n, section)
				}
				if err := rd.noTrailing(); err != nil {
					return nil, err
				}
				return nil, io.EOF
			}
			at := rd.dec.InputOffset()
			tok, err := rd.dec.Token()
			if err != nil {
				return nil, rd.pos.syntaxError(err, n, section)
			}
			name, _ := tok.(string)
			line, col := rd.pos.at(at, " \t\r\n,")
			if !contains(sections, name) {
				return nil, &FileError{Line: line, Column: col,
					Msg: fmt.Sprintf("unknown top-level field %q (expected %s)", name, strings.Join(sections, ", "))}
			}
			if tok, err := rd.dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, &FileError{Line: line, Column: col, Err: err, Msg: fmt.Sprintf("%q must be an array", name)}
			}
			section, n = name, 0
		}
	}
	return nil
}

// noTrailing checks that only white space follows the file's JSON array
// or object: a second value after it would otherwise be ignored, and in
// replace mode its objects deleted from the scope.
func (rd *reader) noTrailing() error {
	at := rd.dec.InputOffset()
	rest := io.MultiReader(rd.dec.Buffered(), rd.pos)
	buf := make([]byte, 4096)
	for {
		n, err := rest.Read(buf)
		for _, c := range buf[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				line, col := rd.pos.at(at, " \t\r\n")
				return &FileError{Line: line, Column: col, Msg: fmt.Sprintf(
					"unexpected %q after the end of the file's JSON value: a file holds one JSON array or object, or NDJSON (one object per line)", c)}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read upload file: %w", err)
		}
	}
}

// repeatedNames returns the names that appear more than once among the
// fields of the JSON object raw (only its own fields, not those of nested
// objects), in the order of their second appearance. encoding/json keeps
// the last value of a repeated name without a word.
func repeatedNames(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		name, _ := tok.(string)
		if seen[name] && !contains(out, name) {
			out = append(out, name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return out
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describeLineError says why an NDJSON line is not valid JSON and where:
// lead is how many characters of white space the line starts with, b the
// rest of it.
func describeLineError(lead int, b []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON: %v", err)
	}
	if se.Offset >= int64(len(b)) {
		return fmt.Sprintf("not valid JSON: the line ends before the JSON value does (%v); one object must fit on one line", err)
	}
	col := lead + utf8.RuneCount(b[:max(se.Offset-1, 0)]) + 1
	return fmt.Sprintf("not valid JSON at column %d: %v", col, err)
}

// firstByte returns the first byte of the file that is neither white space
// nor part of a byte order mark, leaving it unread, and accounts for the
// bytes before it in pos.
func firstByte(br *bufio.Reader, pos *tracker) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF {
			pos.skipped(b)
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
		return Problem{Index: it.index, Section: it.section, Line: it.line, Field: field, Msg: fmt.Sprintf(format, args...), seq: it.seq}
	}
	if it.raw == nil {
		msg := it.badJSON
		if msg == "" {
			msg = "not valid JSON"
		}
		return Object{}, []Problem{bad("", "%s", msg)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(it.raw, &fields); err != nil {
		return Object{}, []Problem{bad("", "not a JSON object but %s", describeJSON(it.raw))}
	}
	var probs []Problem
	for _, name := range repeatedNames(it.raw) {
		probs = append(probs, bad(name, "appears more than once in the object; give each field once"))
	}
	str := func(name string, required bool) string {
		raw, ok := fields[name]
		if !ok {
			if required && !reported(probs, name) {
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
			probs = append(probs, bad("_toEntityKey", "is required for a relationship (or give a _mapping)"))
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
		if err := graph.ValidateMappedRelationship(m); err != nil {
			probs = addValidation(probs, validationProblems(err, bad))
		}
		return Object{Mapping: m}, probs
	case isRel:
		r := &graph.Relationship{Key: str("_key", true), Type: str("_type", true), Class: str("_class", true),
			FromKey: str("_fromEntityKey", true), ToKey: str("_toEntityKey", true)}
		r.Properties = properties(fields, &probs, bad, "_key", "_type", "_class", "_fromEntityKey", "_toEntityKey")
		if err := graph.ValidateRelationship(r); err != nil {
			probs = addValidation(probs, validationProblems(err, bad))
		}
		return Object{Relationship: r}, probs
	default:
		e := &graph.Entity{Key: str("_key", true), Type: str("_type", true)}
		e.Class = classes(fields, &probs, bad)
		e.Properties = properties(fields, &probs, bad, "_key", "_type", "_class")
		if err := graph.ValidateEntity(e); err != nil {
			probs = addValidation(probs, validationProblems(err, bad))
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
		if msg := checkValue(fields[k]); msg != "" {
			*probs = append(*probs, bad(k, "%s", msg))
			continue
		}
		v, err := graph.UnmarshalValue(fields[k])
		if err != nil {
			*probs = append(*probs, bad(k, "%v", err))
			continue
		}
		if isDateName(k) {
			var msg string
			if v, msg = dateValue(v); msg != "" {
				*probs = append(*probs, bad(k, "%s", msg))
				continue
			}
		}
		p[k] = v
	}
	return p
}

// addValidation adds the problems graph validation found to those decoding
// found, leaving out the fields decoding already reported on (a missing
// _key is not also too short; a _mapping that does not decode does not
// also lack its parts).
func addValidation(probs, more []Problem) []Problem {
	var add []Problem
	for _, p := range more {
		if p.Field == "" || !reported(probs, p.Field) {
			add = append(add, p)
		}
	}
	return append(probs, add...)
}

// reported says whether probs already hold a problem of field or of a
// field it is part of.
func reported(probs []Problem, field string) bool {
	for _, p := range probs {
		if p.Field == field || p.Field != "" && strings.HasPrefix(field, p.Field+".") {
			return true
		}
	}
	return false
}

// describeJSON names the kind of a JSON value for an error message.
func describeJSON(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
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

// checkValue finds what graph.UnmarshalValue would refuse or change in a
// property value and says it in the file's terms: objects and nested arrays,
// and integers beyond int64, which would silently become imprecise floats.
// It returns "" for a value to hand on.
func checkValue(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			return "" // left to UnmarshalValue, which names the problem
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if depth == 0 {
					return "a property value cannot be an object; give its fields as properties of their own or send it as a JSON string"
				}
				return "an array may hold only strings, numbers, booleans and null, not objects"
			case '[':
				if depth > 0 {
					return "an array may hold only strings, numbers, booleans and null, not arrays"
				}
				depth++
			case ']':
				depth--
			}
		case json.Number:
			if msg := checkInteger(string(t)); msg != "" {
				return msg
			}
		}
	}
}

// checkInteger refuses an integer literal outside the int64 range.
func checkInteger(n string) string {
	if strings.ContainsAny(n, ".eE") {
		return ""
	}
	if _, err := strconv.ParseInt(n, 10, 64); err != nil && errors.Is(err, strconv.ErrRange) {
		return fmt.Sprintf("integer %s does not fit in 64 bits (%d to %d) and would lose precision; send it as a string, like \"%s\"",
			n, int64(math.MinInt64), int64(math.MaxInt64), n)
	}
	return ""
}

// isDateName reports whether a property holds a date by the data model's
// convention: its name ends in On after at least one other character
// (createdOn, lastSeenOn). Tags are free text copied from other systems and
// are left alone.
func isDateName(name string) bool {
	return len(name) > 2 && strings.HasSuffix(name, "On") && !strings.HasPrefix(name, "tag.")
}

// dateValue checks the value of a date property: a date is a number of
// epoch milliseconds. An ISO 8601 time string with a time zone
// (2024-05-01T12:00:00Z, 2024-05-01T14:00:00.5+02:00) or a date
// (2024-05-01, midnight UTC) becomes epoch milliseconds; any other string
// is refused with a message. Numbers, booleans and null are kept; the
// strings of an array are treated one by one.
func dateValue(v any) (any, string) {
	switch x := v.(type) {
	case string:
		ms, ok := parseDate(x)
		if !ok {
			return nil, fmt.Sprintf("%q is not a date; a property whose name ends in On holds a date: "+
				"epoch milliseconds as a number (1714564800000) or an ISO 8601 time with a time zone "+
				"(2024-05-01T12:00:00Z) or date (2024-05-01); rename the property if it is not a date", x)
		}
		return ms, ""
	case bool:
		return nil, fmt.Sprintf("%v is not a date; a property whose name ends in On holds a date: "+
			"epoch milliseconds as a whole number or an ISO 8601 time; rename the property if it is not a date", x)
	case float64:
		return nil, fmt.Sprintf("%v is not a date: epoch milliseconds are a whole number (1714564800000)", x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			switch e.(type) {
			case bool, float64:
				return nil, fmt.Sprintf("element %d: %v is not a date: a property whose name ends in On holds "+
					"epoch milliseconds as whole numbers or ISO 8601 times", i, e)
			}
			s, isString := e.(string)
			if !isString {
				out[i] = e
				continue
			}
			ms, ok := parseDate(s)
			if !ok {
				return nil, fmt.Sprintf("element %d: %q is not a date; a property whose name ends in On holds dates: "+
					"epoch milliseconds as numbers (1714564800000) or ISO 8601 times with a time zone "+
					"(2024-05-01T12:00:00Z) or dates (2024-05-01); rename the property if it does not hold dates", i, s)
			}
			out[i] = ms
		}
		return out, ""
	}
	return v, ""
}

// parseDate reads an RFC 3339 time (ISO 8601 with a time zone) or an ISO
// 8601 calendar date as epoch milliseconds.
func parseDate(s string) (int64, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
