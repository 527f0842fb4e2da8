package qualysint

import (
	"net/netip"
	"strings"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
)

// severityNames index the normalised severity by Qualys severity 0–5.
var severityNames = [...]string{"none", "informational", "low", "medium", "high", "critical"}

// Severity normalises a Qualys severity (1–5) to the Finding class values:
// severity (none…critical), numericSeverity (1–10). ok is false when q is
// missing (0 from an absent element is treated as missing by the callers
// that know it).
func Severity(q int64) (name string, numeric int64) {
	switch {
	case q < 0:
		return "informational", 1
	case q > 5:
		return "critical", 10
	}
	numeric = 2 * q
	if q <= 1 {
		numeric = 1
	}
	return severityNames[q], numeric
}

// setSeverity sets severity, numericSeverity and qualysSeverity.
func setSeverity(p graph.Properties, q int64) {
	if q == 0 {
		// Qualys severities are 1–5; an absent value decodes as 0.
		p["severity"], p["numericSeverity"] = "informational", int64(1)
		return
	}
	name, num := Severity(q)
	p["severity"], p["numericSeverity"], p["qualysSeverity"] = name, num, q
}

// isOpen reports whether a finding status means open: anything but Fixed.
func isOpen(status string) bool {
	return !strings.Contains(strings.ToLower(status), "fixed")
}

// setTime sets name to t in epoch milliseconds when t is set.
func setTime(p graph.Properties, name string, t time.Time) {
	if !t.IsZero() {
		p[name] = t.UnixMilli()
	}
}

// setString sets name when s is not empty.
func setString(p graph.Properties, name, s string) {
	if s = strings.TrimSpace(s); s != "" {
		p[name] = s
	}
}

// setInt sets name when n is not zero.
func setInt(p graph.Properties, name string, n int64) {
	if n != 0 {
		p[name] = n
	}
}

// setOptionalBool sets name to *b, or null when b is nil.
func setOptionalBool(p graph.Properties, name string, b *bool) {
	if b == nil {
		p[name] = nil
		return
	}
	p[name] = *b
}

// stringList returns the distinct non-empty values, in first-seen order, as
// a property list.
func stringList(values ...string) []any {
	out := make([]any, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// setList sets name to the distinct non-empty values, or leaves it unset.
func setList(p graph.Properties, name string, values ...string) {
	if l := stringList(values...); len(l) > 0 {
		p[name] = l
	}
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxPropertyLen caps long free text (KB solutions, results).
const maxPropertyLen = 4096

// IPClass says whether an address is public, private or unusable.
type IPClass int

// The IP classes.
const (
	IPInvalid IPClass = iota
	IPPrivate
	IPPublic
)

// ClassifyIP classifies an IPv4 or IPv6 address: private covers RFC 1918,
// loopback, link-local, CGNAT (100.64/10), unique-local IPv6 and the
// unspecified address.
func ClassifyIP(s string) IPClass {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return IPInvalid
	}
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() || a.IsMulticast() || cgnat.Contains(a) {
		return IPPrivate
	}
	return IPPublic
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Platform derives the Host platform from an operating-system name:
// windows, macos, linux, unix, or other ("" when os is empty).
func Platform(os string) string {
	s := strings.ToLower(os)
	switch {
	case s == "":
		return ""
	case strings.Contains(s, "windows"):
		return "windows"
	case strings.Contains(s, "mac os") || strings.Contains(s, "macos") || strings.Contains(s, "os x") || strings.Contains(s, "darwin"):
		return "macos"
	case strings.Contains(s, "linux") || strings.Contains(s, "ubuntu") || strings.Contains(s, "debian") || strings.Contains(s, "red hat") ||
		strings.Contains(s, "centos") || strings.Contains(s, "fedora") || strings.Contains(s, "suse") || strings.Contains(s, "amazon") || strings.Contains(s, "alpine"):
		return "linux"
	case strings.Contains(s, "bsd") || strings.Contains(s, "solaris") || strings.Contains(s, "sunos") || strings.Contains(s, "aix") ||
		strings.Contains(s, "hp-ux") || strings.Contains(s, "unix"):
		return "unix"
	default:
		return "other"
	}
}
