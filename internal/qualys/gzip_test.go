package qualys

import (
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGzipAnswers(t *testing.T) {
	t.Parallel()
	var gotAccept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAccept = r.Header.Get("Accept-Encoding")
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write([]byte(detectionsXML(strings.Split(r.Form.Get("ids"), ","), 4)))
		zw.Close()
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	n := 0
	err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(5)}, func(h *DetectionHost) error {
		n += len(h.Detections)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "detections", n, 20)
	contains(t, "Accept-Encoding", gotAccept, "gzip")
}
