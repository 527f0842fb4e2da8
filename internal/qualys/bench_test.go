package qualys

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// detectionStream generates a host detection answer of hosts hosts with
// perHost detections each, on the fly, so that large answers cost no
// memory. A detection is about 700 bytes, like a real one with short
// RESULTS.
type detectionStream struct {
	hosts, perHost int
	host           int
	buf            bytes.Buffer
	done           bool
}

func newDetectionStream(hosts, perHost int) *detectionStream {
	s := &detectionStream{hosts: hosts, perHost: perHost}
	s.buf.WriteString(`<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "https://qualysapi.qg3.apps.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<!-- This report was generated with an evaluation version of Qualys //-->
<HOST_LIST_VM_DETECTION_OUTPUT>
  <RESPONSE>
    <DATETIME>2020-04-23T02:50:36Z</DATETIME>
    <HOST_LIST>
`)
	return s
}

func (s *detectionStream) Read(p []byte) (int, error) {
	for s.buf.Len() < len(p) && !s.done {
		if s.host == s.hosts {
			s.buf.WriteString("    </HOST_LIST>\n  </RESPONSE>\n</HOST_LIST_VM_DETECTION_OUTPUT>\n<!-- CONFIDENTIAL AND PROPRIETARY INFORMATION. //-->\n")
			s.done = true
			break
		}
		s.writeHost()
		s.host++
	}
	if s.buf.Len() == 0 {
		return 0, io.EOF
	}
	return s.buf.Read(p)
}

func (s *detectionStream) writeHost() {
	id := 100000000 + s.host*7
	b := &s.buf
	fmt.Fprintf(b, `      <HOST>
        <ID>%d</ID>
        <ASSET_ID>%d</ASSET_ID>
        <IP>10.%d.%d.%d</IP>
        <TRACKING_METHOD>AGENT</TRACKING_METHOD>
        <OS><![CDATA[Ubuntu Linux 16.04.6]]></OS>
        <DNS><![CDATA[ip-10-0-0-30]]></DNS>
        <QG_HOSTID><![CDATA[00000000-aaaa-bbbb-cccc-%012d]]></QG_HOSTID>
        <LAST_SCAN_DATETIME>2020-04-22T04:55:52Z</LAST_SCAN_DATETIME>
        <LAST_VM_SCANNED_DATE>2020-04-22T04:53:06Z</LAST_VM_SCANNED_DATE>
        <LAST_VM_SCANNED_DURATION>352</LAST_VM_SCANNED_DURATION>
        <TAGS><TAG><TAG_ID>123</TAG_ID><NAME><![CDATA[Cloud Agent]]></NAME></TAG></TAGS>
        <DETECTION_LIST>
`, id, id+5, s.host>>16&255, s.host>>8&255, s.host&255, s.host)
	for d := 0; d < s.perHost; d++ {
		fmt.Fprintf(b, `          <DETECTION>
            <UNIQUE_VULN_ID>%d</UNIQUE_VULN_ID>
            <QID>%d</QID>
            <TYPE>Confirmed</TYPE>
            <SEVERITY>%d</SEVERITY>
            <PORT>22</PORT>
            <PROTOCOL>tcp</PROTOCOL>
            <SSL>0</SSL>
            <RESULTS><![CDATA[Type	Name
key exchange	diffie-hellman-group1-sha1]]></RESULTS>
            <STATUS>Active</STATUS>
            <FIRST_FOUND_DATETIME>2020-04-16T17:15:49Z</FIRST_FOUND_DATETIME>
            <LAST_FOUND_DATETIME>2020-04-17T19:30:37Z</LAST_FOUND_DATETIME>
            <TIMES_FOUND>5</TIMES_FOUND>
            <LAST_TEST_DATETIME>2020-04-17T19:30:37Z</LAST_TEST_DATETIME>
            <LAST_UPDATE_DATETIME>2020-04-17T19:33:23Z</LAST_UPDATE_DATETIME>
            <IS_IGNORED>0</IS_IGNORED>
            <IS_DISABLED>0</IS_DISABLED>
            <LAST_PROCESSED_DATETIME>2020-04-17T19:33:23Z</LAST_PROCESSED_DATETIME>
          </DETECTION>
`, 1000000000+s.host*s.perHost+d, 38000+d*13, 1+d%5)
	}
	b.WriteString("        </DETECTION_LIST>\n      </HOST>\n")
}

// hostBytes is the size of one generated host with perHost detections.
func hostBytes(perHost int) int {
	one, _ := io.ReadAll(newDetectionStream(1, perHost))
	two, _ := io.ReadAll(newDetectionStream(2, perHost))
	return len(two) - len(one)
}

// benchMB is the size of the benchmark answer: $QUALYS_BENCH_MB, default 200.
func benchMB() int {
	if v, err := strconv.Atoi(os.Getenv("QUALYS_BENCH_MB")); err == nil && v > 0 {
		return v
	}
	return 200
}

var (
	benchDocOnce sync.Once
	benchDoc     []byte
	benchDets    int
)

// benchDetectionDoc is a generated answer of about benchMB() MB, with 30
// detections per host.
func benchDetectionDoc() ([]byte, int) {
	benchDocOnce.Do(func() {
		const perHost = 30
		hosts := benchMB() << 20 / hostBytes(perHost)
		benchDoc, _ = io.ReadAll(newDetectionStream(hosts, perHost))
		benchDets = hosts * perHost
	})
	return benchDoc, benchDets
}

// decodeDetectionStream decodes an answer from r the way HostDetections
// does, calling fn per host.
func decodeDetectionStream(r io.Reader, fn func(*DetectionHost)) error {
	x := newXMLReader(r)
	_, err := foPage(x, EndpointHostDetections, "HOST_LIST_VM_DETECTION_OUTPUT", 200, map[string]func(el xml.StartElement) error{
		"HOST_LIST": func(el xml.StartElement) error {
			if el.Name.Local != "HOST" {
				return x.skip()
			}
			h, err := decodeDetectionHost(x)
			if err != nil {
				return err
			}
			fn(h)
			return nil
		},
	})
	return err
}

func BenchmarkDecodeDetections(b *testing.B) {
	doc, dets := benchDetectionDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := decodeDetectionStream(bytes.NewReader(doc), func(h *DetectionHost) { n += len(h.Detections) }); err != nil {
			b.Fatal(err)
		}
		if n != dets {
			b.Fatalf("decoded %d detections, want %d", n, dets)
		}
	}
	b.ReportMetric(float64(dets)*float64(b.N)/b.Elapsed().Seconds(), "detections/s")
	b.ReportMetric(float64(len(doc))/float64(1<<20), "MB/op")
}

// BenchmarkDecodeDetectionsStream decodes a generated 1 GB answer
// ($QUALYS_BENCH_STREAM_MB, default 1024) without holding it, and reports
// the peak heap seen while decoding.
func BenchmarkDecodeDetectionsStream(b *testing.B) {
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("QUALYS_BENCH_STREAM_MB")); err == nil && v > 0 {
		mb = v
	}
	hosts := mb << 20 / hostBytes(30)
	for b.Loop() {
		peak := decodeMeasuringHeap(b, newDetectionStream(hosts, 30))
		b.ReportMetric(float64(peak)/float64(1<<20), "peak-heap-MB")
	}
	b.SetBytes(int64(mb) << 20)
}

// decodeMeasuringHeap decodes r and returns the peak heap in use, sampled
// every 200 hosts.
func decodeMeasuringHeap(tb testing.TB, r io.Reader) uint64 {
	runtime.GC()
	var peak uint64
	var ms runtime.MemStats
	n := 0
	err := decodeDetectionStream(r, func(h *DetectionHost) {
		n++
		if n%200 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return peak
}

// TestDetectionMemoryBounded decodes a 48 MB answer and checks that the
// heap stays far below the answer's size: memory is bounded by one host.
func TestDetectionMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 48 MB")
	}
	hosts := 48 << 20 / hostBytes(30)
	peak := decodeMeasuringHeap(t, newDetectionStream(hosts, 30))
	if peak > 16<<20 {
		t.Errorf("peak heap %d MB while decoding a 48 MB answer; want it bounded by one host", peak>>20)
	}
	t.Logf("peak heap %.1f MB", float64(peak)/float64(1<<20))
}

// BenchmarkHostDetectionsHTTP runs HostDetections against a loopback
// server streaming generated pages (about 25 MB each, 8 per call), with
// the subscription allowing 4 calls at once: decode, HTTP and the
// concurrency control together.
func BenchmarkHostDetectionsHTTP(b *testing.B) {
	const perHost, pages = 30, 8
	hostsPerPage := 25 << 20 / hostBytes(perHost)
	pageBytes, _ := io.Copy(io.Discard, newDetectionStream(hostsPerPage, perHost))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/xml")
		h.Set("X-RateLimit-Limit", "100000")
		h.Set("X-RateLimit-Remaining", "99999")
		h.Set("X-RateLimit-Window-Sec", "3600")
		h.Set("X-Concurrency-Limit-Limit", "4")
		h.Set("X-Concurrency-Limit-Running", "1")
		io.Copy(w, newDetectionStream(hostsPerPage, perHost))
	}))
	defer srv.Close()
	c, err := New(Options{APIURL: srv.URL, Username: "u", Password: "p"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(pageBytes * pages)
	b.ReportAllocs()
	for b.Loop() {
		var mu sync.Mutex
		n := 0
		err := c.HostDetections(context.Background(), DetectionParams{HostIDs: ids(pages), ChunkSize: 1}, func(h *DetectionHost) error {
			mu.Lock()
			n += len(h.Detections)
			mu.Unlock()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != pages*hostsPerPage*perHost {
			b.Fatalf("detections = %d", n)
		}
	}
	b.ReportMetric(float64(pages*hostsPerPage*perHost)*float64(b.N)/b.Elapsed().Seconds(), "detections/s")
}
