package qualys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is one canned answer of scriptServer.
type scripted struct {
	status int
	header map[string]string
	body   string
	// reset closes the connection without an answer.
	reset bool
}

// scriptServer answers requests with the script in order, repeating the
// last entry.
type scriptServer struct {
	*httptest.Server
	mu     sync.Mutex
	script []scripted
	n      int
}

func newScriptServer(t *testing.T, script ...scripted) *scriptServer {
	s := &scriptServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		a := s.script[min(s.n, len(s.script)-1)]
		s.n++
		s.mu.Unlock()
		if a.reset {
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("cannot hijack")
				return
			}
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/xml")
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptServer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func simpleReturnXML(code int, text string, items ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE SIMPLE_RETURN SYSTEM \"https://qualysapi.qualys.com/api/2.0/simple_return.dtd\">\n<SIMPLE_RETURN><RESPONSE><DATETIME>2017-04-12T14:52:39Z </DATETIME><CODE>%d</CODE><TEXT> %s </TEXT>", code, text)
	if len(items) > 0 {
		b.WriteString("<ITEM_LIST>")
		for i := 0; i+1 < len(items); i += 2 {
			fmt.Fprintf(&b, "<ITEM><KEY>%s</KEY><VALUE>%s</VALUE></ITEM>", items[i], items[i+1])
		}
		b.WriteString("</ITEM_LIST>")
	}
	b.WriteString("</RESPONSE></SIMPLE_RETURN>")
	return b.String()
}

const kbOneVuln = `<?xml version="1.0" encoding="UTF-8" ?>
<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><DATETIME>2020-10-07T17:46:23Z</DATETIME>
<!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->
<VULN_LIST><VULN><QID>316760</QID><VULN_TYPE>Vulnerability</VULN_TYPE><SEVERITY_LEVEL>3</SEVERITY_LEVEL><TITLE><![CDATA[T]]></TITLE><PATCHABLE>0</PATCHABLE><DISCOVERY><REMOTE>1</REMOTE></DISCOVERY></VULN></VULN_LIST>
</RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>
<!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->`

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := scripted{status: 200, body: kbOneVuln}
	tests := []struct {
		name      string
		script    []scripted
		wantCalls int
		// wantSleeps are the waits expected, in order (backoff is
		// deterministic with Jitter 0.5: 0.75 × BaseDelay·2ⁿ).
		wantSleeps []time.Duration
		wantCode   int
		wantStatus int
		wantIs     error
	}{
		{name: "409 1965 waits ToWait-Sec", script: []scripted{
			{status: 409, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-ToWait-Sec": "7", "X-RateLimit-Limit": "300", "X-RateLimit-Window-Sec": "3600"}, body: simpleReturnXML(1965, "This API cannot be run again for another 7 seconds.", "SECONDS_TO_WAIT", "7")},
			ok,
		}, wantCalls: 2, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "409 1965 without headers waits SECONDS_TO_WAIT", script: []scripted{
			{status: 409, body: simpleReturnXML(1965, "wait", "SECONDS_TO_WAIT", "12")}, ok,
		}, wantCalls: 2, wantSleeps: []time.Duration{12 * time.Second}},
		{name: "409 1960 without wait hint backs off", script: []scripted{
			{status: 409, header: map[string]string{"X-Concurrency-Limit-Limit": "2", "X-Concurrency-Limit-Running": "2"}, body: simpleReturnXML(1960, "This API cannot be run again until 1 currently running instance(s) have finished.", "CALLS_TO_FINISH", "1")},
			{status: 409, body: simpleReturnXML(1960, "again")},
			ok,
		}, wantCalls: 3, wantSleeps: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "409 without body or headers backs off", script: []scripted{{status: 409}, ok}, wantCalls: 2,
			wantSleeps: []time.Duration{750 * time.Millisecond}},
		{name: "409 2003 is not retried", script: []scripted{{status: 409, body: simpleReturnXML(2003, "Registration must be completed before API requests will be served for this account")}},
			wantCalls: 1, wantCode: 2003, wantStatus: 409, wantIs: ErrAuth},
		{name: "409 2011 is not retried", script: []scripted{{status: 409, body: simpleReturnXML(2011, "SecureID authentication is required for this account, so API access is blocked")}},
			wantCalls: 1, wantCode: 2011, wantStatus: 409, wantIs: ErrAuth},
		{name: "409 asking a day fails at once", script: []scripted{
			{status: 409, header: map[string]string{"X-RateLimit-ToWait-Sec": "86400"}, body: simpleReturnXML(1965, "This API cannot be run again for another 23 hours, 57 minutes and 54 seconds.", "SECONDS_TO_WAIT", "68928")},
		}, wantCalls: 1, wantCode: 1965, wantStatus: 409, wantIs: ErrRateLimited},
		{name: "409 forever stops after MaxRateLimitAttempts", script: []scripted{{status: 409, body: simpleReturnXML(1960, "busy")}},
			wantCalls: 20, wantCode: 1960, wantStatus: 409, wantIs: ErrRateLimited},
		{name: "503 retried with backoff", script: []scripted{{status: 503, body: "down"}, {status: 502}, ok}, wantCalls: 3,
			wantSleeps: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "500 forever stops after MaxAttempts", script: []scripted{{status: 500, body: simpleReturnXML(999, "Internal error")}},
			wantCalls: 5, wantCode: 999, wantStatus: 500},
		{name: "connection reset retried", script: []scripted{{reset: true}, {reset: true}, ok}, wantCalls: 3,
			wantSleeps: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "400 not retried", script: []scripted{{status: 400, body: simpleReturnXML(1905, "parameter ids has invalid value: abc123")}},
			wantCalls: 1, wantCode: 1905, wantStatus: 400},
		{name: "401 not retried", script: []scripted{{status: 401, header: map[string]string{"Content-Type": "text/xml;charset=UTF-8"}, body: simpleReturnXML(2000, "Bad Login/Password")}},
			wantCalls: 1, wantCode: 2000, wantStatus: 401, wantIs: ErrAuth},
		{name: "403 not retried", script: []scripted{{status: 403, body: "Forbidden"}},
			wantCalls: 1, wantStatus: 403, wantIs: ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, tt.script...)
			c, clock, _ := newTestClient(t, srv.URL, nil)
			var got []*Vuln
			err := c.KnowledgeBase(context.Background(), KBParams{QIDs: []int64{316760}}, func(v *Vuln) error {
				got = append(got, v)
				return nil
			})
			eq(t, "calls", srv.calls(), tt.wantCalls)
			noSecret(t, err)
			if tt.wantStatus != 0 {
				var ae *APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want *APIError", err)
				}
				eq(t, "status", ae.StatusCode, tt.wantStatus)
				eq(t, "code", ae.Code, tt.wantCode)
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v does not match %v", err, tt.wantIs)
				}
				eq(t, "failed pages", c.Stats().Total.Failed, int64(1))
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			eq(t, "vulns", len(got), 1)
			sleeps := clock.Sleeps()
			if tt.wantSleeps != nil {
				for i, w := range tt.wantSleeps {
					if i >= len(sleeps) {
						t.Fatalf("sleeps = %v, want %v", sleeps, tt.wantSleeps)
					}
					eq(t, fmt.Sprintf("sleep %d", i), sleeps[i], w)
				}
			}
			st := c.Stats().ByEndpoint[EndpointKnowledgeBase]
			eq(t, "retried", st.Retried, int64(tt.wantCalls-1))
			eq(t, "fetched", st.Fetched, int64(1))
		})
	}
}

func TestRetryBoundedInTime(t *testing.T) {
	t.Parallel()
	srv := newScriptServer(t, scripted{status: 503})
	c, clock, _ := newTestClient(t, srv.URL, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Minute, MaxDelay: time.Hour, MaxWait: 2 * time.Hour, MaxElapsed: 10 * time.Minute}
	})
	_, err := c.PortalVersion(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	var total time.Duration
	for _, s := range clock.Sleeps() {
		total += s
	}
	if total > 10*time.Minute {
		t.Errorf("slept %s, more than MaxElapsed", total)
	}
	if srv.calls() >= 100 {
		t.Errorf("calls = %d, MaxElapsed did not bound them", srv.calls())
	}
}
