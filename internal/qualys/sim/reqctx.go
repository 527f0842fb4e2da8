package sim

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// reqCtx carries one request through the simulator.
type reqCtx struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	ep    Endpoint
	world *world
	reqNo int
	// body is where response bytes go (faults and gzip wrap it).
	body io.Writer
	// corrupt asks the handler to damage one record.
	corrupt bool
	// pendingDelay is per-record latency not slept yet.
	pendingDelay time.Duration
}

func (rc *reqCtx) out() io.Writer {
	if rc.body == nil {
		return rc.w
	}
	return rc.body
}

func (rc *reqCtx) setOut(w io.Writer) { rc.body = w }

// baseURL is the absolute URL of the simulator as the client sees it.
func (rc *reqCtx) baseURL() string {
	if rc.s.opts.BaseURL != "" {
		return rc.s.opts.BaseURL
	}
	scheme := "http"
	if rc.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + rc.r.Host
}

// nowDate is the DATETIME of responses: the simulated clock.
func (rc *reqCtx) nowDate() string { return string(appendDate(nil, rc.world.now())) }

// record notes that one record was written and sleeps the configured
// per-record latency, in slices of at least 10ms.
func (rc *reqCtx) record() {
	if rc.s.opts.Latency <= 0 {
		return
	}
	rc.pendingDelay += rc.s.opts.Latency
	if rc.pendingDelay >= 10*time.Millisecond {
		rc.sleep(rc.pendingDelay)
		rc.pendingDelay = 0
	}
}

// jitter sleeps up to LatencyJitter, drawn from the seed and request number.
func (rc *reqCtx) jitter() {
	j := rc.s.opts.LatencyJitter
	if j <= 0 {
		return
	}
	rc.sleep(time.Duration(unitOf(hashOf(rc.s.seed, tagFault, 99, uint64(rc.reqNo))) * float64(j)))
}

func (rc *reqCtx) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-rc.r.Context().Done():
	}
}

const simpleReturnDoctype = `<!DOCTYPE SIMPLE_RETURN SYSTEM "%s/api/2.0/simple_return.dtd">`

// simpleReturn answers with a SIMPLE_RETURN body. withDecl adds the XML
// declaration, which Qualys omits on 400 and 409 answers.
func (rc *reqCtx) simpleReturn(status, code int, text string, items [][2]string, withDecl bool) int {
	rc.w.Header().Set("Content-Type", "application/xml")
	return rc.simpleReturnTyped(status, code, text, items, withDecl)
}

func (rc *reqCtx) simpleReturnTyped(status, code int, text string, items [][2]string, withDecl bool) int {
	if status >= 400 {
		rc.w.Header().Set("Connection", "close")
	}
	rc.w.WriteHeader(status)
	x := newXMLWriter(rc.out())
	if withDecl {
		x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n")
	}
	x.raw(`<!DOCTYPE SIMPLE_RETURN SYSTEM "` + rc.baseURL() + `/api/2.0/simple_return.dtd">` + "\n")
	x.open(0, "SIMPLE_RETURN")
	x.open(2, "RESPONSE")
	x.text(4, "DATETIME", rc.nowDate())
	if code != 0 {
		x.int(4, "CODE", int64(code))
	}
	x.text(4, "TEXT", text)
	if len(items) > 0 {
		x.open(4, "ITEM_LIST")
		for _, it := range items {
			x.open(6, "ITEM")
			x.text(8, "KEY", it[0])
			x.text(8, "VALUE", it[1])
			x.close(6, "ITEM")
		}
		x.close(4, "ITEM_LIST")
	}
	x.close(2, "RESPONSE")
	x.close(0, "SIMPLE_RETURN")
	x.flush()
	return status
}

// foError answers a bad FO request with 400 and the given code.
func (rc *reqCtx) foError(code int, text string) int {
	return rc.simpleReturn(http.StatusBadRequest, code, text, nil, false)
}

// qpsError answers a QPS request with HTTP 200 and an error responseCode.
func (rc *reqCtx) qpsError(code, message, resolution string) int {
	return rc.qpsErrorSchema(qpsSchema(rc.ep), code, message, resolution)
}

// qpsErrorSchema is qpsError naming the given schema path.
func (rc *reqCtx) qpsErrorSchema(schema, code, message, resolution string) int {
	rc.w.Header().Set("Content-Type", "application/xml")
	rc.w.WriteHeader(http.StatusOK)
	x := newXMLWriter(rc.out())
	x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	x.raw(`<ServiceResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="` + rc.baseURL() + schema + `">` + "\n")
	x.text(2, "responseCode", code)
	x.open(2, "responseErrorDetails")
	x.text(4, "errorMessage", message)
	if resolution != "" {
		x.text(4, "errorResolution", resolution)
	}
	x.close(2, "responseErrorDetails")
	x.close(0, "ServiceResponse")
	x.flush()
	return http.StatusOK
}

func qpsSchema(ep Endpoint) string {
	switch ep {
	case EndpointPortal:
		return "/qps/xsd/version.xsd"
	case EndpointWebApps, EndpointWebAppCount:
		return "/qps/xsd/3.0/was/webapp.xsd"
	case EndpointFindings, EndpointFindingCount:
		return "/qps/xsd/3.0/was/finding.xsd"
	}
	return "/qps/xsd/2.0/am/hostasset.xsd"
}

// preFault applies faults that replace the response; done reports that the
// request has been answered (or dropped).
func (rc *reqCtx) preFault(f *FaultRule) (status int, done bool) {
	switch f.Kind {
	case FaultSlow:
		rc.sleep(f.Delay)
		return 0, false
	case FaultReset:
		rc.resetConn()
		return 0, true
	case FaultServerError:
		if isFO(rc.ep) {
			return rc.simpleReturn(f.Status, 999, "Internal error. Please contact customer support.", nil, false), true
		}
		rc.w.Header().Set("Content-Type", "text/html")
		rc.w.WriteHeader(f.Status)
		io.WriteString(rc.out(), "<html><head><title>"+strconv.Itoa(f.Status)+" "+http.StatusText(f.Status)+"</title></head><body><h1>"+http.StatusText(f.Status)+"</h1></body></html>\n")
		return f.Status, true
	case FaultHTML:
		rc.w.Header().Set("Content-Type", "text/html")
		rc.w.WriteHeader(http.StatusOK)
		io.WriteString(rc.out(), "<html><body>WUT</body></html>\n")
		return http.StatusOK, true
	case FaultConflict:
		if f.Code == 0 {
			rc.w.WriteHeader(http.StatusConflict)
			return http.StatusConflict, true
		}
		rc.s.mu.Lock()
		rc.s.stats.Conflicts[rc.ep]++
		rc.s.mu.Unlock()
		cfg := rc.s.opts.Limits
		a := admission{remaining: 0, running: cfg.Concurrency}
		switch f.Code {
		case 1965:
			a.toWait = 1
			rc.setLimitHeaders(a)
			return rc.simpleReturn(http.StatusConflict, 1965, waitText(1), [][2]string{{"SECONDS_TO_WAIT", "1"}}, false), true
		case 1960:
			a.remaining = cfg.Calls / 2
			rc.setLimitHeaders(a)
			return rc.simpleReturn(http.StatusConflict, 1960, "This API cannot be run again until 1 currently running instance(s) have finished.",
				[][2]string{{"CALLS_TO_FINISH", "1"}}, false), true
		case 2003:
			return rc.simpleReturn(http.StatusConflict, 2003, "Registration must be completed before API requests will be served for this account", nil, false), true
		default:
			return rc.simpleReturn(http.StatusConflict, 2011, "SecureID authentication is required for this account, so API access is blocked", nil, false), true
		}
	}
	return 0, false
}

// bodyFault arranges for faults that damage the body as it is written.
func (rc *reqCtx) bodyFault(f *FaultRule) {
	// Cut big answers a few records in, small ones just after their start.
	cut := 1500 + int(hashOf(rc.s.seed, tagFault, 7, uint64(rc.reqNo))%4096)
	switch rc.ep {
	case EndpointPortal, EndpointHostList, EndpointWebApps, EndpointWebAppCount, EndpointFindingCount, EndpointActivityLog:
		cut = 60 + int(hashOf(rc.s.seed, tagFault, 7, uint64(rc.reqNo))%60)
	}
	switch f.Kind {
	case FaultTruncate:
		rc.body = &cutWriter{w: rc.out(), left: cut}
	case FaultHangup:
		rc.body = &cutWriter{w: rc.out(), left: cut, onCut: rc.dropConn}
	case FaultStall:
		rc.body = &cutWriter{w: rc.out(), left: cut, onCut: func() {
			if fl, ok := rc.w.(http.Flusher); ok {
				fl.Flush()
			}
			rc.sleep(f.Delay)
		}, resume: true}
	case FaultCorrupt:
		switch rc.ep {
		case EndpointDetections, EndpointKB, EndpointHostAsset, EndpointWebApps, EndpointFindings:
			rc.corrupt = true // the handler damages one record
		default:
			// Other answers: damage the first element's content.
			rc.body = &corruptWriter{w: rc.out(), at: 60}
		}
	}
}

// resetConn drops the connection with a TCP reset before any response.
func (rc *reqCtx) resetConn() {
	hj, ok := rc.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// dropConn sends what was written so far and closes the connection.
func (rc *reqCtx) dropConn() {
	if hj, ok := rc.w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			flushBuf(buf)
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func flushBuf(b *bufio.ReadWriter) {
	if b != nil {
		b.Flush()
	}
}

// errCut stops a handler once a cut writer has cut the body.
var errCut = errors.New("response body cut by fault injection")

// cutWriter passes through left bytes, then calls onCut; unless resume is
// set, it swallows everything after that.
type cutWriter struct {
	w      io.Writer
	left   int
	onCut  func()
	resume bool
	cut    bool
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.cut && !c.resume {
		return 0, errCut
	}
	if c.cut || len(p) <= c.left {
		c.left -= len(p)
		return c.w.Write(p)
	}
	n, err := c.w.Write(p[:c.left])
	if err != nil {
		return n, err
	}
	c.cut = true
	if c.onCut != nil {
		c.onCut()
	}
	if !c.resume {
		return n, errCut
	}
	m, err := c.w.Write(p[c.left:])
	return n + m, err
}

// corruptWriter writes garbage bytes into the content of the answer's
// first DATETIME or responseCode element, or at offset at when the answer
// has neither (CSV).
type corruptWriter struct {
	w    io.Writer
	at   int
	done bool
	seen int
}

var corruptMarkers = [][]byte{[]byte("<DATETIME>"), []byte("<responseCode>")}

func (c *corruptWriter) Write(p []byte) (int, error) {
	n := len(p)
	if !c.done {
		i := -1
		for _, m := range corruptMarkers {
			if j := bytes.Index(p, m); j >= 0 && (i < 0 || j+len(m) < i) {
				i = j + len(m)
			}
		}
		if i < 0 && c.seen+len(p) > c.at {
			i = max(0, c.at-c.seen)
		}
		if i >= 0 {
			q := append(append(append([]byte(nil), p[:i]...), garbage...), p[i:]...)
			c.done = true
			p = q
		}
	}
	c.seen += n
	if _, err := c.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// garbage is the byte sequence corrupt faults inject: a NUL, an escape and
// two bytes that are not UTF-8.
var garbage = []byte{0x00, 0x1b, 0xff, 0xfe}
