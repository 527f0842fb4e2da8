package qualys

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// acceptedAPIURLForm is quoted in every URL validation error.
const acceptedAPIURLForm = "https://qualysapi.<platform> (for example https://qualysapi.qg3.apps.qualys.com), " +
	"or an http(s) loopback URL (localhost, 127.0.0.1, [::1]) for the simulator and tests"

// ValidateAPIURL checks a Qualys API URL and returns it normalised: spaces
// trimmed and trailing slashes dropped. Accepted are https URLs whose host is
// a Qualys API host (qualysapi.<platform suffix>), and http or https URLs on a
// loopback address (localhost, 127.0.0.0/8, ::1), for the simulator and tests.
// Anything else, including URLs with credentials, a path, a query or a
// fragment, is refused with an error naming the accepted form.
func ValidateAPIURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimRight(s, "/")
	if s == "" {
		return "", fmt.Errorf("invalid Qualys API URL: empty; use %s", acceptedAPIURLForm)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid Qualys API URL %q: %v; use %s", redactURL(s), err, acceptedAPIURLForm)
	}
	if u.User != nil {
		return "", fmt.Errorf("invalid Qualys API URL %q: credentials do not belong in the URL (set username and password instead); use %s", redactURL(s), acceptedAPIURLForm)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("invalid Qualys API URL %q: scheme must be https; use %s", s, acceptedAPIURLForm)
	}
	if u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("invalid Qualys API URL %q: no host; use %s", s, acceptedAPIURLForm)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("invalid Qualys API URL %q: give only scheme and host, without path, query or fragment; use %s", s, acceptedAPIURLForm)
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" {
		if !validPort(port) {
			return "", fmt.Errorf("invalid Qualys API URL %q: bad port %q; use %s", s, port, acceptedAPIURLForm)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("invalid Qualys API URL %q: empty port; use %s", s, acceptedAPIURLForm)
	}
	if isLoopbackHost(host) {
		return u.Scheme + "://" + strings.ToLower(u.Host), nil
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("invalid Qualys API URL %q: Qualys API hosts are reached over https only; use %s", s, acceptedAPIURLForm)
	}
	if !isQualysAPIHost(host) {
		return "", fmt.Errorf("invalid Qualys API URL %q: host %q is not a Qualys API host; use %s", s, host, acceptedAPIURLForm)
	}
	return "https://" + strings.ToLower(u.Host), nil
}

// isLoopbackHost reports whether host names the local machine.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isQualysAPIHost reports whether host has the qualysapi.<suffix> form of
// the Qualys platforms' API hosts, with a suffix of at least two DNS labels.
func isQualysAPIHost(host string) bool {
	rest, ok := strings.CutPrefix(host, "qualysapi.")
	if !ok {
		return false
	}
	labels := strings.Split(rest, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !validDNSLabel(l) {
			return false
		}
	}
	return isQualysDomain(labels)
}

// qualysDomainSuffixes are the public suffixes under which Qualys runs its
// platforms (qualys.com, qualys.eu, qualys.co.uk, qualysksa.com, …).
var qualysDomainSuffixes = []string{"com", "eu", "in", "ca", "ae", "co.uk", "com.au", "ch", "de", "fr", "jp", "sg"}

// isQualysDomain reports whether the host labels after "qualysapi." end in a
// Qualys domain: "qualys" or "qualysksa" followed by nothing but a known
// public suffix. It refuses look-alikes such as qualys.com.example.net.
func isQualysDomain(labels []string) bool {
	for i, l := range labels {
		if l != "qualys" && l != "qualysksa" {
			continue
		}
		rest := strings.Join(labels[i+1:], ".")
		for _, suffix := range qualysDomainSuffixes {
			if rest == suffix {
				return true
			}
		}
	}
	return false
}

func validDNSLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
		default:
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n < 65536
}

// redactURL hides any user information in a URL string before it is quoted
// in an error.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "REDACTED@" + s[i+1:]
			}
		}
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}
