package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// get calls the simulator in-process and returns status and body.
func get(t testing.TB, s *Server, method, target, body string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.SetBasicAuth(s.Options().Username, s.Options().Password)
	req.Header.Set("X-Requested-With", "qgraph test")
	switch {
	case strings.HasPrefix(strings.TrimSpace(body), "<"):
		req.Header.Set("Content-Type", "text/xml")
	case body != "":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func mustNew(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	hostListPath   = "/api/2.0/fo/asset/host/"
	detectionPath  = "/api/2.0/fo/asset/host/vm/detection/"
	kbPath         = "/api/2.0/fo/knowledge_base/vuln/"
	hostAssetPath  = "/qps/rest/2.0/search/am/hostasset"
	webAppPath     = "/qps/rest/3.0/search/was/webapp"
	findingPath    = "/qps/rest/3.0/search/was/finding/"
	portalPath     = "/qps/rest/portal/version"
	allDetections  = "action=list&show_tags=1&show_igs=1&show_results=1&show_qds=1&show_qds_factors=1&show_reopened_info=1&show_asset_id=1&host_metadata=all&show_cloud_tags=1&show_arf_data=1&include_ignored=1&include_disabled=1&status=New,Active,Fixed,Re-Opened"
	verboseRequest = "<ServiceRequest><preferences><limitResults>50</limitResults><verbose>true</verbose></preferences></ServiceRequest>"
)

// everyRequest is one request of each kind, with every optional element on.
var everyRequest = []struct{ method, target, body string }{
	{"GET", portalPath, ""},
	{"GET", hostListPath + "?action=list&details=None&truncation_limit=5", ""},
	{"GET", hostListPath + "?action=list&echo_request=1&details=All/AGs&show_tags=1&show_asset_id=1&show_trurisk=1&show_trurisk_factors=1&host_metadata=all&show_cloud_tags=1", ""},
	{"POST", detectionPath, allDetections + "&truncation_limit=7&echo_request=1"},
	{"POST", kbPath, "action=list&details=All&show_pci_reasons=1&show_supported_modules_info=1&show_disabled_flag=1&show_qid_change_log=1&ids=1-60000"},
	{"POST", hostAssetPath, "<ServiceRequest><preferences><limitResults>40</limitResults></preferences></ServiceRequest>"},
	{"POST", webAppPath, verboseRequest},
	{"POST", findingPath, verboseRequest},
	{"POST", "/qps/rest/3.0/count/was/finding", ""},
}

func TestDeterministic(t *testing.T) {
	opts := Options{Hosts: 40, DetectionsPerHost: 8, WebApps: 4, FindingsPerWebApp: 6, Seed: 42, Limits: UnlimitedLimits()}
	a, b := mustNew(t, opts), mustNew(t, opts)
	opts.Seed = 43
	other := mustNew(t, opts)
	for step := range 3 {
		for _, r := range everyRequest {
			_, _, ba := get(t, a, r.method, r.target, r.body)
			_, _, bb := get(t, b, r.method, r.target, r.body)
			if !bytes.Equal(ba, bb) {
				t.Errorf("step %d, %s %s: two simulators with one seed answered differently", step, r.method, r.target)
			}
			// The portal version and the KnowledgeBase are the same in every
			// simulated subscription.
			if r.target != portalPath && r.target != kbPath && !strings.Contains(r.target, "count") {
				if _, _, bo := get(t, other, r.method, r.target, r.body); bytes.Equal(ba, bo) {
					t.Errorf("step %d, %s %s: another seed gave the same answer", step, r.method, r.target)
				}
			}
		}
		for _, s := range []*Server{a, b, other} {
			if err := s.Advance(36 * time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec    string
		want    string
		wantErr string
	}{
		{spec: "", want: ""},
		{spec: "5xx:rate=0.05", want: "5xx:rate=0.05:status=503"},
		{spec: "reset:on=3,7:endpoint=detections; slow:delay=2s:rate=0.1", want: "reset:on=3,7:endpoint=detections;slow:rate=0.1:delay=2s"},
		{spec: "409:on=1:code=0", want: "409:on=1:code=0"},
		{spec: "409:on=1", want: "409:on=1:code=1965"},
		{spec: "boom:rate=1", wantErr: `fault rule 1 "boom:rate=1": unknown fault kind "boom"`},
		{spec: "5xx", wantErr: "rate=FRACTION or on=N"},
		{spec: "5xx:rate=2", wantErr: `rate "2"`},
		{spec: "5xx:on=0", wantErr: `on "0"`},
		{spec: "5xx:on=1:endpoint=nowhere", wantErr: `unknown endpoint "nowhere"`},
		{spec: "reset:on=1:delay=2s", wantErr: "delay applies only to slow and stall"},
		{spec: "5xx:on=1:status=404", wantErr: `status "404"`},
		{spec: "409:on=1:code=1234", wantErr: `code "1234"`},
		{spec: "5xx:on=1;html:rate", wantErr: `fault rule 2 "html:rate": option "rate": want key=value`},
		{spec: "5xx:on=1:color=red", wantErr: `unknown option "color"`},
		{spec: ";;;", wantErr: "holds no rule"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("got %q, want %q", got.String(), tc.want)
			}
			again, err := ParseFaults(got.String())
			if err != nil || again.String() != got.String() {
				t.Errorf("round trip: %q -> %q, %v", got.String(), again.String(), err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative hosts", Options{Hosts: -1}, "hosts must be between"},
		{"huge detections", Options{DetectionsPerHost: 5000}, "detections per host"},
		{"small kb", Options{KnowledgeBaseSize: 10}, "knowledge base size"},
		{"account", Options{Account: "frozen"}, `unknown account state "frozen"`},
		{"fault kind", Options{Faults: FaultSpec{Rules: []FaultRule{{Kind: "boom", Rate: 1}}}}, `unknown fault kind "boom"`},
		{"zero concurrency", Options{Limits: Limits{Calls: 5}}, "concurrency limit must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(Options{}); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	s := mustNew(t, Options{})
	if err := s.Advance(time.Millisecond); err == nil {
		t.Errorf("Advance(1ms) succeeded, want an error")
	}
}

// BenchmarkDetectionPage serves detection pages of 1000 hosts at 33
// detections per host, the shape of a large sync, and reports MB/s.
func BenchmarkDetectionPage(b *testing.B) {
	s := mustNew(b, Options{Hosts: 76000, DetectionsPerHost: 33, NoWebApps: true, Limits: UnlimitedLimits()})
	var ids strings.Builder
	w := s.world.Load()
	for i := range 1000 {
		if i > 0 {
			ids.WriteByte(',')
		}
		ids.WriteString(itoa(w.hostID(i)))
	}
	body := "action=list&show_tags=1&show_igs=1&show_results=0&output_format=XML&truncation_limit=1000&status=New,Active,Fixed,Re-Opened&ids=" + ids.String()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		req := httptest.NewRequest("POST", detectionPath, strings.NewReader(body))
		req.SetBasicAuth(DefaultUsername, DefaultPassword)
		req.Header.Set("X-Requested-With", "bench")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		dw := &discardWriter{h: http.Header{}}
		s.ServeHTTP(dw, req)
		n = dw.n
	}
	b.SetBytes(n)
}

func itoa(v int64) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	return append(b, tmp[i:]...)
}

// discardWriter is a ResponseWriter that counts and drops the body.
type discardWriter struct {
	h http.Header
	n int64
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*discardWriter)(nil)

func TestAppendDate(t *testing.T) {
	r := newRNG(7)
	for range 2000 {
		ts := int64(r.intn(4_000_000_000)) - 1_000_000_000
		want := time.Unix(ts, 0).UTC().Format("2006-01-02T15:04:05Z")
		if got := string(appendDate(nil, ts)); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", ts, got, want)
		}
		day := time.Unix(ts, 0).UTC()
		midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC).Unix()
		if got := dateOf(day.Year(), int(day.Month()), day.Day()); got != midnight {
			t.Fatalf("dateOf(%v) = %d, want %d", day, got, midnight)
		}
	}
}

func TestControlEndpoints(t *testing.T) {
	s := mustNew(t, Options{Hosts: 50, WebApps: 10, Seed: 3})
	tests := []struct {
		method, target string
		status         int
		want           string
	}{
		{"GET", "/sim/state", 200, `"epoch":0`},
		{"POST", "/sim/advance?by=24h", 200, `"epoch":1`},
		{"POST", "/sim/advance?by=soon", 400, "want a duration"},
		{"POST", "/sim/advance?by=1ms", 400, "shorter than one second"},
		{"GET", "/sim/advance?by=24h", 405, "use POST"},
		{"GET", "/sim/stats", 200, `"requests"`},
		{"GET", "/sim/nothing", 404, "unknown control endpoint"},
	}
	for _, tc := range tests {
		status, _, body := get(t, s, tc.method, tc.target, "")
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.method, tc.target, status, body, tc.status, tc.want)
		}
	}
	if got := s.Now(); !got.Equal(DefaultNow().Add(24 * time.Hour)) {
		t.Errorf("clock %v after advancing a day", got)
	}
	req := httptest.NewRequest("POST", "/sim/advance?by=1h", nil)
	req.SetBasicAuth("qgraph", "wrong")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 401 || s.Epoch() != 1 {
		t.Errorf("advance with a wrong password: %d, epoch %d", rec.Code, s.Epoch())
	}
	for range 9 {
		if err := s.Advance(24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	w := s.world.Load()
	added, retired := 0, 0
	for i := range w.hostTotal[w.epoch()] {
		switch alive := w.hostAlive(i); {
		case i >= 50 && alive:
			added++
		case i < 50 && !alive:
			retired++
		}
	}
	if added == 0 || retired == 0 {
		t.Errorf("after ten days: %d hosts added, %d retired; want some of each", added, retired)
	}
}

// BenchmarkHostAssetPage serves host asset pages of 250 hosts, as the
// integration asks for them, and reports MB/s.
func BenchmarkHostAssetPage(b *testing.B) {
	s := mustNew(b, Options{Hosts: 76000, DetectionsPerHost: 33, NoWebApps: true, Limits: UnlimitedLimits()})
	w := s.world.Load()
	var ids strings.Builder
	for i := range 250 {
		if i > 0 {
			ids.WriteByte(',')
		}
		ids.WriteString(itoa(w.hostID(i)))
	}
	body := `<ServiceRequest><preferences><limitResults>250</limitResults></preferences><filters><Criteria field="qwebHostId" operator="IN">` + ids.String() + `</Criteria></filters></ServiceRequest>`
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		req := httptest.NewRequest("POST", hostAssetPath, strings.NewReader(body))
		req.SetBasicAuth(DefaultUsername, DefaultPassword)
		req.Header.Set("Content-Type", "text/xml")
		dw := &discardWriter{h: http.Header{}}
		s.ServeHTTP(dw, req)
		n = dw.n
	}
	b.SetBytes(n)
}

// TestWellFormed decodes every answer of everyRequest with encoding/xml,
// before and after the clock moves.
func TestWellFormed(t *testing.T) {
	s := mustNew(t, Options{Hosts: 40, DetectionsPerHost: 8, WebApps: 4, FindingsPerWebApp: 6, Seed: 5, Limits: UnlimitedLimits()})
	for step := range 2 {
		for _, r := range everyRequest {
			status, _, body := get(t, s, r.method, r.target, r.body)
			if status != 200 {
				t.Fatalf("%s %s: status %d: %s", r.method, r.target, status, body)
			}
			d := xml.NewDecoder(bytes.NewReader(body))
			elements := 0
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("step %d, %s %s: %v", step, r.method, r.target, err)
				}
				if _, ok := tok.(xml.StartElement); ok {
					elements++
				}
			}
			if elements < 3 {
				t.Errorf("%s %s: only %d elements", r.method, r.target, elements)
			}
		}
		if err := s.Advance(72 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	_, _, body := get(t, s, "GET", hostListPath+"?action=list&details=None&echo_request=1", "")
	if !strings.Contains(string(body), "<KEY>details</KEY>") || !strings.Contains(string(body), "<RESOURCE>") {
		t.Errorf("echo_request=1 did not echo the request: %s", body)
	}
}

// TestFaultRateReproducible checks that rate faults pick the same requests
// for the same seed, other requests for another seed, and about the rate.
func TestFaultRateReproducible(t *testing.T) {
	spec, err := ParseFaults("5xx:rate=0.3;reset:on=5:endpoint=detections")
	if err != nil {
		t.Fatal(err)
	}
	picked := func(seed uint64) []int {
		var out []int
		for n := 1; n <= 1000; n++ {
			if r := spec.pickFault(seed, EndpointHostList, n, n); r != nil && r.Kind == FaultServerError {
				out = append(out, n)
			}
		}
		return out
	}
	a, b, c := picked(1), picked(1), picked(2)
	if !slices.Equal(a, b) {
		t.Errorf("the same seed picked different requests")
	}
	if slices.Equal(a, c) {
		t.Errorf("another seed picked the same requests")
	}
	if len(a) < 250 || len(a) > 350 {
		t.Errorf("rate 0.3 picked %d of 1000 requests", len(a))
	}
	if r := spec.pickFault(1, EndpointDetections, 77, 5); r == nil || (r.Kind != FaultReset && r.Kind != FaultServerError) {
		t.Errorf("the 5th detection request was not faulted: %v", r)
	}
	if r := spec.pickFault(1, EndpointKB, 5, 5); r != nil && r.Kind == FaultReset {
		t.Errorf("a reset meant for detections hit the KnowledgeBase")
	}
}
