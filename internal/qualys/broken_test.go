package qualys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// brokenServer answers detection calls with body(ids) and contentType;
// cut > 0 truncates the body after cut bytes (with a Content-Length that
// promises more).
func brokenServer(t *testing.T, contentType string, body func(ids []string) string, cut int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		b := body(strings.Split(r.Form.Get("ids"), ","))
		w.Header().Set("Content-Type", contentType)
		if cut > 0 && cut < len(b) {
			w.Header().Set("Content-Length", fmt.Sprint(len(b)))
			w.WriteHeader(200)
			fmt.Fprint(w, b[:cut])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		w.WriteHeader(200)
		fmt.Fprint(w, b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrokenResponses(t *testing.T) {
	t.Parallel()
	full := func(ids []string) string { return detectionsXML(ids, 3) }
	tests := []struct {
		name        string
		contentType string
		body        func(ids []string) string
		cut         int
		wantIs      error
		wantRecords int
		wantOffset  bool
		// cutOff: the body was cut off, so the page is read again until
		// the retries run out (5 reads with the default policy).
		cutOff bool
	}{
		{name: "truncated mid-host", contentType: "application/xml", body: full, cut: 900, wantIs: ErrMalformed, wantRecords: 1, wantOffset: true, cutOff: true},
		{name: "truncated before the end of the root", contentType: "application/xml",
			body:   func(ids []string) string { return strings.TrimSuffix(full(ids), "</HOST_LIST_VM_DETECTION_OUTPUT>\n") },
			wantIs: ErrMalformed, wantRecords: 3, wantOffset: true, cutOff: true},
		{name: "corrupt bytes in a detection", contentType: "application/xml",
			body: func(ids []string) string {
				return strings.Replace(full(ids), "<QID>38001</QID>", "<QID>38\xff\xfe01</QID>", 1)
			}, wantIs: ErrMalformed, wantOffset: true},
		{name: "non-numeric QID", contentType: "application/xml",
			body: func(ids []string) string {
				return strings.Replace(full(ids), "<QID>38001</QID>", "<QID>38#01</QID>", 1)
			}, wantIs: ErrMalformed, wantOffset: true},
		{name: "HTML instead of XML", contentType: "text/html", body: func([]string) string { return "WUT" }, wantIs: ErrContentType},
		{name: "wrong root element", contentType: "application/xml", body: func([]string) string { return "<HTML><BODY>x</BODY></HTML>" }, wantIs: ErrMalformed, wantOffset: true},
		{name: "empty body", contentType: "application/xml", body: func([]string) string { return "" }, wantIs: ErrMalformed, wantOffset: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := brokenServer(t, tt.contentType, tt.body, tt.cut)
			c, _, _ := newTestClient(t, srv.URL, nil)
			var got []*DetectionHost
			err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(3)}, func(h *DetectionHost) error {
				got = append(got, h)
				return nil
			})
			var pe *PageError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want *PageError", err)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not match %v", err, tt.wantIs)
			}
			eq(t, "endpoint", pe.Endpoint, EndpointHostDetections)
			eq(t, "page", pe.Page, "ids 100000001..100000003 (3 ids)")
			if tt.wantOffset && pe.Offset <= 0 && tt.name != "empty body" {
				t.Errorf("offset = %d, want the byte offset of the failure", pe.Offset)
			}
			for _, want := range []string{"host detections", "ids 100000001..100000003"} {
				contains(t, "message", err.Error(), want)
			}
			if tt.wantOffset && tt.name != "empty body" {
				contains(t, "message", err.Error(), "at byte")
			}
			reads := 1
			if tt.cutOff {
				reads = 5
			}
			// Each read delivers the records decoded before the break.
			eq(t, "records delivered before the break", len(got), tt.wantRecords*reads)
			eq(t, "records in the error", pe.Records, tt.wantRecords)
			for _, h := range got {
				eq(t, "complete host", len(h.Detections), 3)
			}
			st := c.Stats().ByEndpoint[EndpointHostDetections]
			eq(t, "retried", st.Retried, int64(reads-1))
			eq(t, "failed", st.Failed, int64(1))
			eq(t, "fetched", st.Fetched, int64(0))
		})
	}
}

func TestFailedChunkDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	srv := brokenServer(t, "application/xml", func(ids []string) string {
		if ids[0] == "100000003" {
			return "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST><HOST><ID>1"
		}
		return detectionsXML(ids, 1)
	}, 0)
	c, _, _ := newTestClient(t, srv.URL, nil)
	var got []int64
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(6), ChunkSize: 2}, func(h *DetectionHost) error {
		got = append(got, h.ID)
		return nil
	})
	var pe *PageError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *PageError", err)
	}
	eq(t, "failed page", pe.Page, "ids 100000003..100000004 (2 ids)")
	eq(t, "hosts of the good chunks", len(got), 4)
	st := c.Stats().ByEndpoint[EndpointHostDetections]
	eq(t, "fetched", st.Fetched, int64(2))
	eq(t, "failed", st.Failed, int64(1))
}

func TestCallbackErrorStops(t *testing.T) {
	t.Parallel()
	srv := brokenServer(t, "application/xml", func(ids []string) string { return detectionsXML(ids, 1) }, 0)
	c, _, _ := newTestClient(t, srv.URL, nil)
	stop := errors.New("stop here")
	n := 0
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(50), ChunkSize: 5}, func(h *DetectionHost) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("error = %v, want the callback's error unchanged", err)
	}
	if n > 3 {
		t.Errorf("callback ran %d times after returning an error", n-3)
	}
}

func TestStalledBody(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(200)
		fmt.Fprint(w, "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE>")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _, _ := newTestClient(t, srv.URL, func(o *Options) { o.BodyIdleTimeout = 100 * time.Millisecond })
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(1)}, func(*DetectionHost) error { return nil })
	var pe *PageError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *PageError", err)
	}
	contains(t, "message", err.Error(), "stalled")
}

func TestSlowCallbackIsNotAStall(t *testing.T) {
	t.Parallel()
	// 400 hosts make a body larger than one read buffer, so reads go on
	// after the slow callback.
	srv := brokenServer(t, "application/xml", func(ids []string) string { return detectionsXML(ids, 5) }, 0)
	c, _, _ := newTestClient(t, srv.URL, func(o *Options) { o.BodyIdleTimeout = 50 * time.Millisecond })
	n := 0
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(400)}, func(*DetectionHost) error {
		n++
		if n == 1 {
			time.Sleep(150 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("slow callback failed the page: %v", err)
	}
	eq(t, "hosts", n, 400)
}
