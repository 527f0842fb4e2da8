package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzRequests sends arbitrary parameters and search bodies to every
// endpoint: the simulator must answer each with a well-formed status, never
// panic.
func FuzzRequests(f *testing.F) {
	f.Add(uint8(0), "action=list&details=None&ids=1-5,9&id_min=3", "")
	f.Add(uint8(1), "action=list&ids=105000023&severities=1-3&status=Fixed&use_tags=1&tag_set_by=name&tag_set_include=PCI", "")
	f.Add(uint8(2), "action=list&ids=38000-39000&details=All", "")
	f.Add(uint8(3), "", `<ServiceRequest><preferences><limitResults>3</limitResults><startFromOffset>2</startFromOffset></preferences><filters><Criteria field="qwebHostId" operator="IN">105000023,1</Criteria></filters></ServiceRequest>`)
	f.Add(uint8(4), "", `<ServiceRequest><filters><Criteria field="isScanned" operator="EQUALS">true</Criteria><Criteria field="lastScan.date" operator="GREATER">2020-03-05T23:00:30Z</Criteria></filters></ServiceRequest>`)
	f.Add(uint8(5), "", `<ServiceRequest><filters><Criteria field="webApp.id" operator="IN">abc</Criteria></filters></ServiceRequest>`)
	f.Add(uint8(6), "", `<ServiceRequest><preferences><startFromId>99999999999</startFromId></preferences></ServiceRequest>`)
	paths := []string{hostListPath, detectionPath, kbPath, hostAssetPath, webAppPath, findingPath, "/qps/rest/3.0/count/was/webapp", "/api/2.0/fo/activity_log/"}
	s := mustNew(f, Options{Hosts: 30, DetectionsPerHost: 5, WebApps: 3, FindingsPerWebApp: 5, Limits: UnlimitedLimits()})
	f.Fuzz(func(t *testing.T, which uint8, query, body string) {
		path := paths[int(which)%len(paths)]
		method := "POST"
		if body == "" && strings.HasPrefix(path, "/api/") {
			method = "GET"
		}
		req, err := http.NewRequest(method, path+"?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth(DefaultUsername, DefaultPassword)
		req.Header.Set("X-Requested-With", "fuzz")
		if strings.HasPrefix(path, "/qps/") {
			req.Header.Set("Content-Type", "text/xml")
		}
		rec := httptest.NewRecorder()
		watchdog := time.AfterFunc(5*time.Second, func() {
			panic(fmt.Sprintf("%s %s?%s with %q takes more than 5s", method, path, query, body))
		})
		s.ServeHTTP(rec, req)
		watchdog.Stop()
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("%s %s?%s: status %d", method, path, query, rec.Code)
		}
		if rec.Code == 400 && !strings.Contains(rec.Body.String(), "<SIMPLE_RETURN>") {
			t.Fatalf("400 without a SIMPLE_RETURN body: %s", rec.Body)
		}
	})
}

// TestBodyFaultsEveryEndpoint checks that corrupt and truncate faults
// damage the answer of every endpoint so that encoding/xml rejects it.
func TestBodyFaultsEveryEndpoint(t *testing.T) {
	for _, kind := range []FaultKind{FaultCorrupt, FaultTruncate} {
		for _, r := range everyRequest {
			t.Run(string(kind)+" "+r.target, func(t *testing.T) {
				testBodyFault(t, kind, r.method, r.target, r.body)
			})
		}
	}
}

func testBodyFault(t *testing.T, kind FaultKind, method, target, reqBody string) {
	t.Helper()
	s := mustNew(t, Options{Hosts: 20, DetectionsPerHost: 5, WebApps: 3, Seed: 2, Limits: UnlimitedLimits(),
		Faults: FaultSpec{Rules: []FaultRule{{Kind: kind, On: []int{1}}}}})
	_, _, body := get(t, s, method, target, reqBody)
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		_, err := d.Token()
		if err == io.EOF {
			t.Fatalf("the damaged answer decodes cleanly:\n%s", body)
		}
		if err != nil {
			return
		}
	}
}
