package qualystest

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

const recordings = "../../../../shared/testdata/qualys/recordings"

func post(t *testing.T, url, ctype, body string, auth bool) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if auth {
		req.SetBasicAuth("u", "p")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestPaginationServedByOffset(t *testing.T) {
	t.Parallel()
	srv := NewHARServer(t, filepath.Join(recordings, "iterateWebAppsPagination.har"))
	body := func(offset string) string {
		return "<ServiceRequest><preferences><limitResults>1</limitResults><startFromOffset>" + offset + "</startFromOffset></preferences></ServiceRequest>"
	}
	// Out of order on purpose: the offset picks the entry.
	for _, tc := range []struct{ offset, wantID string }{{"3", "238483926"}, {"1", "238483924"}, {"7", "251316904"}} {
		status, got, h := post(t, srv.URL+"/qps/rest/3.0/search/was/webapp", "text/xml", body(tc.offset), true)
		if status != 200 || !strings.Contains(got, "<id>"+tc.wantID+"</id>") {
			t.Errorf("offset %s: status %d, body without id %s", tc.offset, status, tc.wantID)
		}
		if h.Get("Content-Type") != "application/xml" {
			t.Errorf("Content-Type = %q", h.Get("Content-Type"))
		}
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestErrorsAndUnmatched(t *testing.T) {
	t.Parallel()
	srv := NewHARServer(t, filepath.Join(recordings, "iterateHostDetectionsBadId.har"))
	status, body, h := post(t, srv.URL+"/api/2.0/fo/asset/host/vm/detection/", "application/x-www-form-urlencoded", "action=list&ids=abc123", true)
	if status != 400 || !strings.Contains(body, "<CODE>1905</CODE>") {
		t.Errorf("status %d body %q", status, body)
	}
	if h.Get("X-RateLimit-Limit") != "300" {
		t.Errorf("rate-limit headers not replayed: %v", h)
	}
	if status, _, _ := post(t, srv.URL+"/nowhere", "text/xml", "", true); status != 404 {
		t.Errorf("unknown path: status %d, want 404", status)
	}
	if status, _, _ := post(t, srv.URL+"/api/2.0/fo/asset/host/vm/detection/", "text/xml", "", false); status != 401 {
		t.Errorf("no credentials: status %d, want 401", status)
	}
	if n := len(srv.Unmatched()); n != 2 {
		t.Errorf("unmatched = %d, want 2", n)
	}
}

func TestLoadHARErrors(t *testing.T) {
	t.Parallel()
	if _, err := LoadHAR(filepath.Join(recordings, "missing.har")); err == nil {
		t.Error("missing file: no error")
	}
	entries, err := LoadHAR(filepath.Join(recordings, "iterateHostDetails.har"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].Method != http.MethodPost || entries[1].Path != "/qps/rest/2.0/search/am/hostasset" {
		t.Errorf("entries = %+v", entries)
	}
	if entries[0].Header.Get("Transfer-Encoding") != "" {
		t.Error("transfer headers are replayed")
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	if _, err := LoadHAR(Recording(t, "verifyAuthentication.har")); err != nil {
		t.Errorf("Recording: %v", err)
	}
	if !strings.HasSuffix(Fixture(t, "detections.xml"), filepath.Join("fixtures", "detections.xml")) {
		t.Error("Fixture path")
	}
}
