package qualys

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// limitServer is an FO detection endpoint that enforces a concurrency
// limit and a rate limit the way Qualys does, and counts violations.
type limitServer struct {
	*httptest.Server
	limit      int // concurrency limit
	otherUsers int // calls other scripts keep running
	rateLimit  int // calls per window
	window     time.Duration
	now        func() time.Time
	delay      time.Duration

	mu          sync.Mutex
	running     int
	maxRunning  int
	calls       int
	conflicts   int
	windowStart time.Time
	used        int
	first409At  int // call number of the first 409, 0 if none
}

func newLimitServer(t *testing.T, l *limitServer) *limitServer {
	l.Server = httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(l.Close)
	return l
}

func (l *limitServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	l.mu.Lock()
	l.calls++
	now := l.now()
	if l.windowStart.IsZero() || now.Sub(l.windowStart) >= l.window {
		l.windowStart, l.used = now, 0
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-RateLimit-Limit", fmt.Sprint(l.rateLimit))
	h.Set("X-RateLimit-Window-Sec", fmt.Sprint(int(l.window/time.Second)))
	h.Set("X-Concurrency-Limit-Limit", fmt.Sprint(l.limit))
	if l.used >= l.rateLimit {
		wait := l.window - now.Sub(l.windowStart)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-ToWait-Sec", fmt.Sprint(int(wait/time.Second)+1))
		h.Set("X-Concurrency-Limit-Running", fmt.Sprint(l.running+l.otherUsers))
		l.conflicts++
		if l.first409At == 0 {
			l.first409At = l.calls
		}
		l.mu.Unlock()
		w.WriteHeader(409)
		fmt.Fprint(w, simpleReturnXML(1965, "rate limit", "SECONDS_TO_WAIT", fmt.Sprint(int(wait/time.Second)+1)))
		return
	}
	if l.running+l.otherUsers >= l.limit {
		h.Set("X-Concurrency-Limit-Running", fmt.Sprint(l.running+l.otherUsers))
		h.Set("X-RateLimit-Remaining", fmt.Sprint(l.rateLimit-l.used))
		h.Set("X-RateLimit-ToWait-Sec", "0")
		l.conflicts++
		if l.first409At == 0 {
			l.first409At = l.calls
		}
		l.mu.Unlock()
		w.WriteHeader(409)
		fmt.Fprint(w, simpleReturnXML(1960, "This API cannot be run again until 1 currently running instance(s) have finished.", "CALLS_TO_FINISH", "1"))
		return
	}
	l.used++
	l.running++
	l.maxRunning = max(l.maxRunning, l.running)
	h.Set("X-Concurrency-Limit-Running", fmt.Sprint(l.running+l.otherUsers))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(l.rateLimit-l.used))
	h.Set("X-RateLimit-ToWait-Sec", "0")
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.running--
		l.mu.Unlock()
	}()
	w.WriteHeader(200)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	time.Sleep(l.delay)
	fmt.Fprint(w, detectionsXML(strings.Split(r.Form.Get("ids"), ","), 2))
}

// detectionsXML renders a detection answer for ids, n detections each.
func detectionsXML(ids []string, n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>2020-04-23T02:50:36Z</DATETIME><HOST_LIST>`)
	for _, id := range ids {
		fmt.Fprintf(&b, "<HOST><ID>%s</ID><IP>10.0.0.1</IP><DETECTION_LIST>", id)
		for q := 0; q < n; q++ {
			fmt.Fprintf(&b, "<DETECTION><QID>%d</QID><TYPE>Confirmed</TYPE><SEVERITY>3</SEVERITY><STATUS>Active</STATUS></DETECTION>", 38000+q)
		}
		b.WriteString("</DETECTION_LIST></HOST>")
	}
	b.WriteString("</HOST_LIST></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>\n")
	return b.String()
}

func ids(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(100000001 + i)
	}
	return out
}

func TestConcurrencyFollowsSubscriptionLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limit      int
		others     int
		maxConc    int
		wantMaxRun int
	}{
		{name: "limit 3", limit: 3, maxConc: 10, wantMaxRun: 3},
		{name: "limit 4 with 1 run by others", limit: 4, others: 1, maxConc: 10, wantMaxRun: 3},
		{name: "client cap below limit", limit: 10, maxConc: 2, wantMaxRun: 2},
		{name: "limit 1", limit: 1, maxConc: 8, wantMaxRun: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			srv := newLimitServer(t, &limitServer{limit: tt.limit, otherUsers: tt.others, rateLimit: 10000, window: time.Hour, now: clock.Now, delay: 40 * time.Millisecond})
			c, _, _ := newTestClient(t, srv.URL, func(o *Options) {
				o.MaxConcurrency = tt.maxConc
				o.Now = clock.Now
				o.Sleep = clock.Sleep
			})
			var mu sync.Mutex
			seen := map[int64]int{}
			err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(24), ChunkSize: 1}, func(h *DetectionHost) error {
				mu.Lock()
				seen[h.ID] += len(h.Detections)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "hosts", len(seen), 24)
			if tt.others == 0 {
				eq(t, "409 answers", srv.conflicts, 0)
				if got := c.Stats().MaxInFlight; got > tt.wantMaxRun {
					t.Errorf("MaxInFlight = %d, want ≤ %d", got, tt.wantMaxRun)
				}
			} else if srv.conflicts > 3 {
				// Calls by others can only be estimated; a refusal
				// lowers the bound.
				t.Errorf("409 answers = %d, want a few at most", srv.conflicts)
			}
			if srv.maxRunning > tt.wantMaxRun {
				t.Errorf("server saw %d calls at once, limit allows %d", srv.maxRunning, tt.wantMaxRun)
			}
			// The client must grow past one call when allowed; reaching the
			// full bound depends on scheduling on a loaded machine.
			if srv.maxRunning < min(tt.wantMaxRun, 2) {
				t.Errorf("server saw at most %d calls at once, want the client to use up to %d", srv.maxRunning, tt.wantMaxRun)
			}
		})
	}
}

func TestRateLimitSlowsDownBeforeRefusal(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	srv := newLimitServer(t, &limitServer{limit: 2, rateLimit: 20, window: 100 * time.Second, now: clock.Now})
	c, _, _ := newTestClient(t, srv.URL, func(o *Options) {
		o.Now = clock.Now
		o.Sleep = clock.Sleep
	})
	hosts := 0
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(30), ChunkSize: 1}, func(h *DetectionHost) error {
		hosts++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "hosts", hosts, 30)
	// 30 calls against 20 per 100 s: the client must spread them out.
	var paced int
	for _, s := range clock.Sleeps() {
		if s >= 4*time.Second {
			paced++
		}
	}
	if paced == 0 {
		t.Errorf("client never slowed down; sleeps %v", clock.Sleeps())
	}
	if srv.first409At != 0 && srv.first409At <= 20 {
		t.Errorf("first 409 came at call %d, before the window ran out", srv.first409At)
	}
	t.Logf("calls %d, 409s %d, sleeps %d", srv.calls, srv.conflicts, len(clock.Sleeps()))
}

func TestNoLimitHeadersAssumesStandardSubscription(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	running, maxRunning := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		running++
		maxRunning = max(maxRunning, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(40 * time.Millisecond)
		fmt.Fprint(w, detectionsXML(strings.Split(r.Form.Get("ids"), ","), 1))
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	if err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(12), ChunkSize: 1}, func(*DetectionHost) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if maxRunning > standardConcurrency || maxRunning < 2 {
		t.Errorf("most calls at once = %d, want %d", maxRunning, standardConcurrency)
	}
}
