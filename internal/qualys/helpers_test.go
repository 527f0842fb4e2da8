package qualys

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testPassword = "s3cr3t-Pa55word!"

// testdataDir is the shared test data folder, beside the repository.
const testdataDir = "../../../shared/testdata/qualys"

// newTestClient returns a client against url whose sleeps are recorded, not
// slept, and whose log goes to buf.
func newTestClient(t *testing.T, url string, mod func(*Options)) (*Client, *fakeClock, *syncBuffer) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	logs := &syncBuffer{}
	opts := Options{
		APIURL:   url,
		Username: "qgtest1",
		Password: testPassword,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      clock.Now,
		Sleep:    clock.Sleep,
		Jitter:   func() float64 { return 0.5 },
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testPassword) {
			t.Errorf("the password appears in the log")
		}
	})
	return c, clock, logs
}

// fakeClock advances on Sleep instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// xmlLeaves returns the trimmed text of every leaf element under the
// elements named item in doc, one slice per item.
func xmlLeaves(t *testing.T, doc []byte, item string) [][]string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var out [][]string
	depth := -1
	var text bytes.Buffer
	hasChild := []bool{}
	level := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("xmlLeaves: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if len(hasChild) > 0 {
				hasChild[len(hasChild)-1] = true
			}
			hasChild = append(hasChild, false)
			level++
			text.Reset()
			if depth < 0 && tk.Name.Local == item {
				depth = level
				out = append(out, nil)
			}
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			leaf := !hasChild[len(hasChild)-1]
			hasChild = hasChild[:len(hasChild)-1]
			if depth > 0 && leaf && level > depth {
				if v := strings.TrimSpace(text.String()); v != "" {
					out[len(out)-1] = append(out[len(out)-1], v)
				}
			}
			if level == depth {
				depth = -1
			}
			level--
			text.Reset()
		}
	}
}

// checkLeavesCovered fails when a leaf text of the recorded XML does not
// appear in the JSON form of the decoded record: a field that was dropped
// or mangled. Booleans written 0/1 are checked by the explicit tests.
func checkLeavesCovered(t *testing.T, what string, leaves []string, rec any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	dump := buf.String()
	for _, leaf := range leaves {
		if leaf == "0" || leaf == "1" {
			continue
		}
		want := leaf
		if _, ok := parseTime([]byte(leaf)); ok && strings.ContainsAny(leaf, "\n ") {
			want = strings.Join(strings.Fields(leaf), "")
		}
		var esc bytes.Buffer
		e2 := json.NewEncoder(&esc)
		e2.SetEscapeHTML(false)
		_ = e2.Encode(want)
		needle := strings.TrimSuffix(strings.TrimSpace(esc.String()), "\n")
		needle = strings.Trim(needle, `"`)
		if f, err := strconv.ParseFloat(leaf, 64); err == nil && strings.Contains(leaf, ".") {
			needle = strconv.FormatFloat(f, 'f', -1, 64) // 10.0 is 10 in JSON
		}
		if !strings.Contains(dump, needle) {
			t.Errorf("%s: recorded value %q is missing from the decoded record", what, truncate(leaf, 80))
		}
	}
}
