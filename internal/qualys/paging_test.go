package qualys

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostListServer pages host IDs 1..total with WARNING/URL and id_min.
func hostListServer(t *testing.T, total int, urlFor func(base string, next int) string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pathHostList || r.Header.Get("X-Requested-With") == "" {
			http.Error(w, "bad request", 400)
			return
		}
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("truncation_limit"))
		from, _ := strconv.Atoi(q.Get("id_min"))
		from = max(from, 1)
		w.Header().Set("Content-Type", "application/xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8" ?><HOST_LIST_OUTPUT><RESPONSE><DATETIME>2020-09-29T21:33:33Z</DATETIME>`)
		to := min(total, from+limit-1)
		if from <= to {
			b.WriteString("<ID_SET>")
			if to-from >= 3 {
				fmt.Fprintf(&b, "<ID_RANGE>%d-%d</ID_RANGE>", from, from+2)
				from += 3
			}
			for id := from; id <= to; id++ {
				fmt.Fprintf(&b, "<ID>%d</ID>", id)
			}
			b.WriteString("</ID_SET>")
		}
		if to < total {
			fmt.Fprintf(&b, "<WARNING><CODE>1980</CODE><TEXT>%d record limit exceeded. Use URL to get next batch of results.</TEXT><URL><![CDATA[%s]]></URL></WARNING>",
				limit, urlFor(srv.URL, to+1))
		}
		b.WriteString("</RESPONSE></HOST_LIST_OUTPUT>\n<!-- CONFIDENTIAL -->")
		io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestScannedHostIDsPaging(t *testing.T) {
	t.Parallel()
	same := func(base string, next int) string {
		return fmt.Sprintf("%s%s?action=list&details=None&truncation_limit=10&id_min=%d", base, pathHostList, next)
	}
	tests := []struct {
		name    string
		urlFor  func(string, int) string
		wantIDs int
		wantErr string
	}{
		{name: "follows WARNING/URL", urlFor: same, wantIDs: 23},
		{name: "refuses a URL on another host", urlFor: func(_ string, next int) string {
			return fmt.Sprintf("https://qualysapi.qualys.com%s?action=list&id_min=%d", pathHostList, next)
		}, wantIDs: 10, wantErr: "not at the API host"},
		{name: "stops on a repeated URL", urlFor: func(base string, _ int) string { return same(base, 11) }, wantIDs: 20, wantErr: "repeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := hostListServer(t, 23, tt.urlFor)
			c, _, _ := newTestClient(t, srv.URL, nil)
			var got []int64
			err := c.ScannedHostIDs(context.Background(), HostListParams{PageSize: 10}, func(id int64) error {
				got = append(got, id)
				return nil
			})
			eq(t, "ids", len(got), tt.wantIDs)
			if tt.wantErr != "" {
				var pe *PageError
				if !errors.As(err, &pe) {
					t.Fatalf("error = %v, want *PageError", err)
				}
				contains(t, "error", err.Error(), tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range got {
				eq(t, "id", id, int64(i+1))
			}
			eq(t, "pages", c.Stats().ByEndpoint[EndpointHostList].Fetched, int64(3))
		})
	}
}

func TestDetectionsFollowWarning(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/xml")
		if r.Method == http.MethodPost {
			eq(t, "truncation_limit", r.Form.Get("truncation_limit"), "4")
			eq(t, "status", r.Form.Get("status"), "New,Active,Fixed,Re-Opened")
			eq(t, "severities", r.Form.Get("severities"), "3,4,5")
			eq(t, "tag_set_include", r.Form.Get("tag_set_include"), "Prod,10")
			eq(t, "tag_set_by", r.Form.Get("tag_set_by"), "name")
			eq(t, "since", r.Form.Get("detection_updated_since"), "2020-03-05T23:00:30Z")
			eq(t, "cloud tags", r.Form.Get("show_cloud_tags"), "1")
			eq(t, "metadata", r.Form.Get("host_metadata"), "ec2")
			body := detectionsXML([]string{"100000001", "100000002"}, 2)
			next := fmt.Sprintf("%s%s?action=list&ids=%s&id_min=100000003", srv.URL, pathDetections, r.Form.Get("ids"))
			body = strings.Replace(body, "</HOST_LIST>", "</HOST_LIST><WARNING><CODE>1980</CODE><TEXT>2 record limit exceeded.</TEXT><URL><![CDATA["+next+"]]></URL></WARNING>", 1)
			io.WriteString(w, body)
			return
		}
		eq(t, "id_min", r.Form.Get("id_min"), "100000003")
		io.WriteString(w, detectionsXML([]string{"100000003", "100000004"}, 2))
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	var got []int64
	err := c.HostDetections(context.Background(), DetectionParams{
		HostIDs:       ids(4),
		Severities:    []int{3, 4, 5},
		IncludeTags:   []string{"Prod", "10"},
		ShowCloudTags: true,
		HostMetadata:  "ec2",
		UpdatedSince:  mustTime("2020-03-05T23:00:30.123Z"),
	}, func(h *DetectionHost) error {
		got = append(got, h.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "hosts", len(got), 4)
	eq(t, "pages", c.Stats().ByEndpoint[EndpointHostDetections].Fetched, int64(2))
}

// qpsServer serves QPS searches over n records of kind, honouring
// limitResults, startFromOffset and "id GREATER".
func qpsServer(t *testing.T, kind string, n int, render func(id int) string) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		var req struct {
			Limit    int `xml:"preferences>limitResults"`
			Offset   int `xml:"preferences>startFromOffset"`
			Criteria []struct {
				Field string `xml:"field,attr"`
				Op    string `xml:"operator,attr"`
				Value string `xml:",chardata"`
			} `xml:"filters>Criteria"`
		}
		if err := xml.Unmarshal(b, &req); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/xml")
		if strings.Contains(r.URL.Path, "/count/") {
			fmt.Fprintf(w, "<ServiceResponse><responseCode>SUCCESS</responseCode><count>%d</count></ServiceResponse>", n)
			return
		}
		first := 1
		if req.Offset > 0 {
			first = req.Offset
		}
		for _, c := range req.Criteria {
			if c.Field == "id" && c.Op == "GREATER" {
				v, _ := strconv.Atoi(c.Value)
				first = v + 1
			}
		}
		last := min(n, first+req.Limit-1)
		var out strings.Builder
		fmt.Fprintf(&out, "<ServiceResponse><responseCode>SUCCESS</responseCode><count>%d</count>", max(0, last-first+1))
		if last < n {
			fmt.Fprintf(&out, "<hasMoreRecords>true</hasMoreRecords><lastId>%d</lastId>", last)
		} else {
			out.WriteString("<hasMoreRecords>false</hasMoreRecords>")
		}
		out.WriteString("<data>")
		for id := first; id <= last; id++ {
			out.WriteString(render(id))
		}
		out.WriteString("</data></ServiceResponse>")
		io.WriteString(w, out.String())
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

func TestQPSPaging(t *testing.T) {
	t.Parallel()
	t.Run("host assets page by lastId", func(t *testing.T) {
		t.Parallel()
		srv, bodies := qpsServer(t, "HostAsset", 7, func(id int) string {
			return fmt.Sprintf("<HostAsset><id>%d</id><qwebHostId>%d</qwebHostId><tags><list/></tags></HostAsset>", id, 1000+id)
		})
		c, _, _ := newTestClient(t, srv.URL, nil)
		var got []int64
		err := c.HostAssets(context.Background(), HostAssetParams{HostIDs: []int64{1001, 1002, 1003}, PageSize: 3}, func(a *HostAsset) error {
			got = append(got, a.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "assets", len(got), 7)
		eq(t, "requests", len(*bodies), 3)
		contains(t, "second request", (*bodies)[1], `<Criteria field="id" operator="GREATER">3</Criteria>`)
		contains(t, "chunk filter", (*bodies)[0], `<Criteria field="qwebHostId" operator="IN">1001,1002,1003</Criteria>`)
	})
	t.Run("web apps page by offset", func(t *testing.T) {
		t.Parallel()
		srv, bodies := qpsServer(t, "WebApp", 5, func(id int) string {
			return fmt.Sprintf("<WebApp><id>%d</id><name><![CDATA[app &apos;%d&apos;]]></name><tags><count>2</count></tags></WebApp>", id, id)
		})
		c, _, _ := newTestClient(t, srv.URL, nil)
		var got []*WebApp
		scanned := true
		err := c.WebApps(context.Background(), WebAppParams{PageSize: 2, Scanned: &scanned, LastScanAfter: mustTime("2020-03-05T23:00:30Z")}, func(w *WebApp) error {
			got = append(got, w)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "apps", len(got), 5)
		eq(t, "CDATA kept as sent", got[0].Name, "app &apos;1&apos;")
		eq(t, "nested count is the tag count", got[0].TagCount, int64(2))
		eq(t, "requests", len(*bodies), 3)
		contains(t, "third page", (*bodies)[2], "<startFromOffset>5</startFromOffset>")
		contains(t, "filters", (*bodies)[0], `<Criteria field="lastScan.date" operator="GREATER">2020-03-05T23:00:30Z</Criteria>`)
		n, err := c.CountWebApps(context.Background(), WebAppParams{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "count", n, int64(5))
	})
	t.Run("findings chunk web app ids", func(t *testing.T) {
		t.Parallel()
		srv, bodies := qpsServer(t, "Finding", 3, func(id int) string {
			if id == 1 {
				return "<Finding><id>1</id><uniqueId>u1</uniqueId><qid>150210</qid><type>INFORMATION_GATHERED</type><severity>1</severity></Finding>"
			}
			return fmt.Sprintf("<Finding><id>%d</id><uniqueId>u%d</uniqueId><qid>150158</qid><type>VULNERABILITY</type><severity>5</severity><url><![CDATA[http://x/?a=1&amp;b]]></url><status>NEW</status><timesDetected>1</timesDetected><isIgnored>false</isIgnored><webApp><id>7</id></webApp></Finding>", id, id)
		})
		c, _, _ := newTestClient(t, srv.URL, nil)
		var mu sync.Mutex
		var got []*Finding
		err := c.WebAppFindings(context.Background(), FindingParams{WebAppIDs: []int64{1, 2, 3}, ChunkSize: 2, PageSize: 10, Severities: []int{4, 5}}, func(f *Finding) error {
			mu.Lock()
			got = append(got, f)
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "findings (3 per chunk, 2 chunks)", len(got), 6)
		eq(t, "requests", len(*bodies), 2)
		for _, f := range got {
			if f.Type == "INFORMATION_GATHERED" {
				if f.TimesDetected != nil || f.IsIgnored != nil || f.Status != "" {
					t.Errorf("IG finding has fields it was sent without: %+v", f)
				}
			} else {
				eq(t, "timesDetected", *f.TimesDetected, int64(1))
				eq(t, "isIgnored", *f.IsIgnored, false)
				eq(t, "url", f.URL, "http://x/?a=1&amp;b")
			}
		}
	})
}

func mustTime(s string) time.Time {
	tm, ok := parseTime([]byte(s))
	if !ok {
		panic(s)
	}
	return tm
}

func TestBadParams(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t, "http://127.0.0.1:1", nil)
	ctx := context.Background()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"severity", func() error {
			return c.HostDetections(ctx, DetectionParams{HostIDs: ids(1), Severities: []int{0}}, nil)
		}, "severity 0"},
		{"status", func() error {
			return c.HostDetections(ctx, DetectionParams{HostIDs: ids(1), Statuses: []string{"Closed"}}, nil)
		}, `status "Closed"`},
		{"tag with comma", func() error {
			return c.HostDetections(ctx, DetectionParams{HostIDs: ids(1), IncludeTags: []string{"a,b"}}, nil)
		}, "include tag"},
		{"host metadata", func() error {
			return c.HostDetections(ctx, DetectionParams{HostIDs: ids(1), HostMetadata: "aws"}, nil)
		}, `host metadata "aws"`},
		{"kb details", func() error { return c.KnowledgeBase(ctx, KBParams{QIDs: []int64{1}, Details: "Full"}, nil) }, `details "Full"`},
		{"finding severity", func() error {
			return c.WebAppFindings(ctx, FindingParams{Severities: []int{9}}, nil)
		}, "severity 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to name %s", err, tt.want)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	srv := brokenServer(t, "application/xml", func(ids []string) string { return detectionsXML(ids, 1) }, 0)
	c, _, _ := newTestClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := c.HostDetections(ctx, DetectionParams{HostIDs: ids(40), ChunkSize: 4}, func(*DetectionHost) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n > 2 {
		t.Errorf("callback ran %d times after cancellation", n-2)
	}
}

func TestFollowURLAcceptsDefaultPort(t *testing.T) {
	t.Parallel()
	c, err := New(Options{APIURL: "https://qualysapi.qg3.apps.qualys.com:443", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if _, err := c.followURL("https://qualysapi.qg3.apps.qualys.com/api/2.0/fo/asset/host/?action=list&id_min=5", seen); err != nil {
		t.Errorf("same host without the default port refused: %v", err)
	}
	for _, bad := range []string{
		"https://qualysapi.qg3.apps.qualys.com:8443/api/2.0/fo/asset/host/?id_min=6",
		"http://qualysapi.qg3.apps.qualys.com/api/2.0/fo/asset/host/?id_min=7",
		"https://qualysapi.qg2.apps.qualys.com/api/2.0/fo/asset/host/?id_min=8",
		"https://u:p@qualysapi.qg3.apps.qualys.com/api/2.0/fo/asset/host/?id_min=9",
	} {
		if _, err := c.followURL(bad, seen); err == nil {
			t.Errorf("followURL(%q) accepted", bad)
		}
	}
}
