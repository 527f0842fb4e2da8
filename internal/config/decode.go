package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem with the configuration, naming the field by its
// path (instances[0].qualys.apiUrl) and the line it is on.
type FieldError struct {
	Path string
	Line int // 0 when unknown
	Msg  string
}

// Error renders "path: msg (line N)".
func (e *FieldError) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + e.Msg
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// decoder walks a YAML node tree, collecting every error instead of
// stopping at the first.
type decoder struct {
	getenv func(string) string
	// listing leaves credentials with unset variables empty instead of
	// failing (see LoadForListing).
	listing bool
	errs    []error
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &FieldError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// mapping calls fn for each key of a mapping node, in file order, after
// checking every key against allowed.
func (d *decoder) mapping(n *yaml.Node, path string, allowed []string, fn func(key string, v *yaml.Node, path string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		p := key
		if path != "" {
			p = path + "." + key
		}
		if !contains(allowed, key) {
			d.fail(k, p, "unknown key (known keys: %s)", strings.Join(sorted(allowed), ", "))
			continue
		}
		if seen[key] {
			d.fail(k, p, "key given twice")
			continue
		}
		seen[key] = true
		fn(key, v, p)
	}
}

// scalar returns the text of a scalar node with ${ENV} references expanded.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "must be a single value, not a list or mapping")
		return "", false
	}
	s := n.Value
	if msg := badEnvRef(s, isSecret(path)); msg != "" {
		d.fail(n, path, "%s", msg)
		return "", false
	}
	ok := true
	s = envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v := d.getenv(name)
		if v == "" {
			d.fail(n, path, "environment variable %s is not set", name)
			ok = false
		}
		return v
	})
	return strings.TrimSpace(s), ok
}

// credential reads a username or password. from is set to the value's
// environment references ("${A}", or "${A} ${B}"), which are safe to show
// where the value itself is not; "" when the value is written in the file.
// When listing, a value whose variables are not all set is left empty
// without an error.
func (d *decoder) credential(n *yaml.Node, path string, from *string) string {
	if n != nil && n.Kind == yaml.ScalarNode && badEnvRef(n.Value, isSecret(path)) == "" {
		refs := envRef.FindAllStringSubmatch(n.Value, -1)
		names := make([]string, len(refs))
		unset := false
		for i, m := range refs {
			names[i] = m[0]
			unset = unset || d.getenv(m[1]) == ""
		}
		*from = strings.Join(names, " ")
		if d.listing && unset {
			return ""
		}
	}
	return d.str(n, path)
}

// isSecret reports whether the field at path holds a secret, whose text
// must not appear in an error.
func isSecret(path string) bool { return strings.HasSuffix(path, ".password") }

// badEnvRef describes the first "${" of a value that does not start a
// complete ${NAME} reference, such as an unclosed ${QUALYS_PASSWORD, or
// returns "". The text after "${" is quoted only when secret is false.
func badEnvRef(value string, secret bool) string {
	good := map[int]bool{}
	for _, m := range envRef.FindAllStringIndex(value, -1) {
		good[m[0]] = true
	}
	for i := 0; i+1 < len(value); i++ {
		if value[i] != '$' || value[i+1] != '{' || good[i] {
			continue
		}
		at := fmt.Sprintf("at character %d", utf8.RuneCountInString(value[:i])+1)
		if !secret {
			at = fmt.Sprintf("%q", value[i:])
			if end := strings.IndexByte(value[i:], '}'); end >= 0 {
				at = fmt.Sprintf("%q", value[i:i+end+1])
			}
		}
		hint := "write ${NAME}: letters, digits and _, not starting with a digit"
		if secret {
			hint += `; a password holding "${" belongs in passwordFile`
		}
		if !strings.Contains(value[i:], "}") {
			return fmt.Sprintf("the environment reference %s has no closing \"}\" (%s)", at, hint)
		}
		return fmt.Sprintf("the environment reference %s is not a valid ${NAME} (%s)", at, hint)
	}
	return ""
}

func (d *decoder) str(n *yaml.Node, path string) string {
	s, _ := d.scalar(n, path)
	return s
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	d.fail(n, path, "%q is not a boolean (use true or false)", s)
	return false, false
}

func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		d.fail(n, path, "%q is not a number", s)
		return 0, false
	}
	return f, true
}

// listItem is one element of a list, with the node and path it came from.
type listItem struct {
	text string
	node *yaml.Node
	path string
}

// list reads a YAML sequence of scalars, or a scalar holding a
// comma-separated list ("3,4,5"). Empty elements are dropped. present is
// false when the key has no value at all.
func (d *decoder) list(n *yaml.Node, path string) (items []listItem, present bool) {
	if isNull(n) {
		return nil, false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for i, e := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			s, ok := d.scalar(e, p)
			if ok && s != "" {
				items = append(items, listItem{text: s, node: e, path: p})
			}
		}
	case yaml.ScalarNode:
		s, ok := d.scalar(n, path)
		if !ok {
			return nil, true
		}
		for i, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				items = append(items, listItem{text: part, node: n, path: fmt.Sprintf("%s[%d]", path, i)})
			}
		}
	default:
		d.fail(n, path, "must be a list")
	}
	return items, true
}

func (d *decoder) intList(n *yaml.Node, path string) ([]int64, bool) {
	items, present := d.list(n, path)
	out := make([]int64, 0, len(items))
	for _, it := range items {
		v, err := strconv.ParseInt(it.text, 10, 64)
		if err != nil {
			d.fail(it.node, it.path, "%q is not a whole number", it.text)
			continue
		}
		out = append(out, v)
	}
	return out, present
}

// severities reads a list of severities, each 1–5.
func (d *decoder) severities(n *yaml.Node, path string) ([]int, bool) {
	items, present := d.list(n, path)
	out := make([]int, 0, len(items))
	for _, it := range items {
		v, err := strconv.Atoi(it.text)
		if err != nil {
			d.fail(it.node, it.path, "%q is not a whole number", it.text)
			continue
		}
		if v < 1 || v > 5 {
			d.fail(it.node, it.path, "%d is outside 1–5", v)
			continue
		}
		out = append(out, v)
	}
	return out, present
}

// enumList reads a list whose elements must be one of allowed, matched
// without regard to case and returned in their canonical spelling.
func (d *decoder) enumList(n *yaml.Node, path, what string, allowed []string) ([]string, bool) {
	items, present := d.list(n, path)
	out := make([]string, 0, len(items))
	for _, it := range items {
		canon := ""
		for _, a := range allowed {
			if strings.EqualFold(a, it.text) {
				canon = a
			}
		}
		if canon == "" {
			d.fail(it.node, it.path, "unknown %s %q (expected one of %s)", what, it.text, strings.Join(allowed, ", "))
			continue
		}
		if !contains(out, canon) {
			out = append(out, canon)
		}
	}
	return out, present
}

func (d *decoder) strList(n *yaml.Node, path string) []string {
	items, _ := d.list(n, path)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if !contains(out, it.text) {
			out = append(out, it.text)
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

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}
