package qualystest

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	// Entry is the Source of the entry served, "" when none matched.
	Entry string
}

// Server replays recorded entries over loopback HTTP.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	entries  []Entry
	served   []int
	requests []Request
}

// NewHARServer starts a Server replaying the entries of harFiles on a
// loopback address; it is closed when the test ends. The test fails at once
// when a file cannot be read.
func NewHARServer(t testing.TB, harFiles ...string) *Server {
	t.Helper()
	var entries []Entry
	for _, f := range harFiles {
		es, err := LoadHAR(f)
		if err != nil {
			t.Fatalf("qualystest: %v", err)
		}
		entries = append(entries, es...)
	}
	s := NewServer(entries)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a Server replaying entries; the caller closes it.
func NewServer(entries []Entry) *Server {
	s := &Server{entries: entries, served: make([]int, len(entries))}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Unmatched returns the requests no entry matched.
func (s *Server) Unmatched() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Entry == "" {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	if _, _, ok := r.BasicAuth(); !ok {
		s.record(req)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" ?>
<SIMPLE_RETURN><RESPONSE><DATETIME>2020-01-01T00:00:00Z</DATETIME><CODE>2000</CODE><TEXT>Bad Login/Password</TEXT></RESPONSE></SIMPLE_RETURN>
`)
		return
	}
	sig := signature(r.Method, r.URL.Query(), r.Header.Get("Content-Type"), string(body))
	s.mu.Lock()
	best := -1
	bestScore := -1
	bestServed := 0
	for i, e := range s.entries {
		if e.Method != r.Method || e.Path != r.URL.Path {
			continue
		}
		score := overlap(sig, signature(e.Method, e.Query, "", e.RequestBody))
		// Prefer the higher score, then entries served fewer times, then
		// recorded order.
		if best < 0 || score > bestScore || (score == bestScore && s.served[i] < bestServed) {
			best, bestScore, bestServed = i, score, s.served[i]
		}
	}
	if best >= 0 {
		s.served[best]++
		req.Entry = s.entries[best].Source
	}
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if best < 0 {
		http.Error(w, "qualystest: no recorded entry for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	e := s.entries[best]
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(e.Status)
	w.Write(e.Body)
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// matchParams are the FO parameters that tell recorded requests apart.
var matchParams = []string{"ids", "id_min", "id_max", "details", "qids", "username", "action"}

// signature extracts the distinguishing parameters of a request: FO query
// and form values, and QPS startFromOffset and Criteria.
func signature(method string, query url.Values, contentType, body string) map[string]bool {
	sig := map[string]bool{}
	add := func(v url.Values) {
		for _, k := range matchParams {
			if x := v.Get(k); x != "" {
				sig[k+"="+x] = true
			}
		}
	}
	add(query)
	trimmed := strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(trimmed, "<"):
		addQPS(sig, trimmed)
	case trimmed != "":
		if v, err := url.ParseQuery(trimmed); err == nil {
			add(v)
		}
	}
	return sig
}

// addQPS adds a ServiceRequest's offset and criteria to sig.
func addQPS(sig map[string]bool, body string) {
	dec := xml.NewDecoder(strings.NewReader(body))
	var path []string
	var crit xml.StartElement
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			if t.Name.Local == "Criteria" {
				crit = t.Copy()
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			v := strings.TrimSpace(string(t))
			if v == "" {
				continue
			}
			switch path[len(path)-1] {
			case "startFromOffset", "startFromId":
				sig[path[len(path)-1]+"="+v] = true
			case "Criteria":
				var field, op string
				for _, a := range crit.Attr {
					switch a.Name.Local {
					case "field":
						field = a.Value
					case "operator":
						op = a.Value
					}
				}
				vals := strings.Split(v, ",")
				sort.Strings(vals)
				sig["criteria:"+field+" "+op+" "+strings.Join(vals, ",")] = true
			}
		}
	}
}

func overlap(a, b map[string]bool) int {
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return n
}
