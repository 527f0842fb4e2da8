package j1ql

import (
	"fmt"
	"strings"
)

// Placeholders lists the {{name}} placeholders of a saved question, in the
// order they first appear.
func Placeholders(src string) []string {
	var names []string
	seen := map[string]bool{}
	for rest := src; ; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return names
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return names
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		rest = rest[i+j+2:]
	}
}

// SubstitutePlaceholders replaces every {{name}} of src with values[name]
// as plain text, the way a saved question is filled in before it runs. A
// placeholder without a value is an error.
func SubstitutePlaceholders(src string, values map[string]string) (string, error) {
	var b strings.Builder
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("substitute placeholders: no value for {{%s}}", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[i+j+2:]
	}
}
