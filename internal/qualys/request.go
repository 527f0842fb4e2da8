package qualys

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// call is one page request.
type call struct {
	endpoint string
	method   string
	// target is the absolute URL.
	target string
	// form is the FO POST body; body and bodyType a QPS body.
	form     url.Values
	body     []byte
	bodyType string
	// fo marks FO calls, which go through the limiter.
	fo bool
	// page names the page in errors.
	page string
}

// response is an open 2xx response; close must be called.
type response struct {
	http    *http.Response
	body    *bodyReader
	release func()
	cancel  context.CancelFunc
}

func (r *response) close() {
	// Drain a little so the connection can be reused, then close.
	_, _ = io.CopyN(io.Discard, r.body, 64<<10)
	r.http.Body.Close()
	r.cancel()
	r.release()
}

// bodyReader counts bytes and fails when the body stalls longer than idle.
type bodyReader struct {
	r       io.Reader
	n       atomic.Int64
	timer   *time.Timer
	idle    time.Duration
	stalled atomic.Bool
}

// Read reads from the body; the idle clock runs only while a Read waits,
// so time the caller spends between reads (in callbacks) does not count.
func (b *bodyReader) Read(p []byte) (int, error) {
	if b.timer != nil {
		b.timer.Reset(b.idle)
	}
	n, err := b.r.Read(p)
	if b.timer != nil {
		b.timer.Stop()
	}
	b.n.Add(int64(n))
	if err != nil && err != io.EOF && b.stalled.Load() {
		err = fmt.Errorf("response body stalled for %s: %w", b.idle, err)
	}
	return n, err
}

// send sends c with retries and returns the open 2xx response. Errors are
// *APIError for Qualys's error answers, or the transport error.
func (c *Client) send(ctx context.Context, cl *call) (*response, error) {
	start := c.now()
	attempts, limited, backoffs := 0, 0, 0
	for {
		release := func() {}
		if cl.fo {
			var err error
			release, err = c.limits.acquire(ctx, cl.endpoint, c.sleep)
			if err != nil {
				return nil, err
			}
		}
		req, err := c.newRequest(cl)
		if err != nil {
			release()
			return nil, err
		}
		reqCtx, cancel := context.WithCancel(ctx)
		attempts++
		resp, err := c.http.Do(req.WithContext(reqCtx))
		if err != nil {
			cancel()
			release()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryableTransportError(err) || attempts >= c.retry.MaxAttempts {
				return nil, fmt.Errorf("send %s request (attempt %d): %w", cl.endpoint, attempts, err)
			}
			d := c.backoff(backoffs)
			backoffs++
			if c.now().Sub(start)+d > c.retry.MaxElapsed {
				return nil, fmt.Errorf("send %s request: giving up after %d attempts in %s: %w", cl.endpoint, attempts, c.now().Sub(start).Round(time.Second), err)
			}
			c.retried(cl, "transport error", d, err)
			if err := c.sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		if cl.fo {
			c.limits.observe(cl.endpoint, resp.Header)
		}
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
				resp.Body.Close()
				cancel()
				release()
				return nil, err
			}
			br := &bodyReader{r: resp.Body, idle: c.idle}
			br.timer = time.AfterFunc(c.idle, func() { br.stalled.Store(true); cancel() })
			br.timer.Stop() // runs only inside Read
			return &response{http: resp, body: br, release: func() { br.timer.Stop(); release() }, cancel: cancel}, nil
		case resp.StatusCode == http.StatusConflict:
			apiErr := c.readAPIError(cl, resp, attempts)
			cancel()
			if cl.fo && apiErr.Code == 1960 {
				c.limits.refused()
			}
			release()
			limited++
			c.stats.add(cl.endpoint, func(s *PageStats) { s.RateLimited++ })
			if apiErr.Code != 0 && apiErr.Code != 1960 && apiErr.Code != 1965 {
				return nil, apiErr // 2003, 2011, ...: waiting does not help
			}
			wait, hinted := c.conflictWait(resp.Header, apiErr)
			if !hinted {
				wait = c.backoff(backoffs)
				backoffs++
			}
			if wait > c.retry.MaxWait {
				apiErr.Text = strings.TrimSpace(apiErr.Text + fmt.Sprintf(" (Qualys asks to wait %s, more than the %s allowed)", wait, c.retry.MaxWait))
				return nil, apiErr
			}
			if limited >= c.retry.MaxRateLimitAttempts || c.now().Sub(start)+wait > c.retry.MaxElapsed {
				return nil, apiErr
			}
			if cl.fo {
				c.limits.pause(cl.endpoint, wait)
			}
			c.retried(cl, fmt.Sprintf("HTTP 409 code %d", apiErr.Code), wait, nil)
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
			apiErr := c.readAPIError(cl, resp, attempts)
			cancel()
			release()
			d := c.backoff(backoffs)
			backoffs++
			if ra, ok := headerInt(resp.Header, "Retry-After"); ok && ra > 0 {
				d = max(d, time.Duration(ra)*time.Second)
			}
			if attempts >= c.retry.MaxAttempts || c.now().Sub(start)+d > c.retry.MaxElapsed || d > c.retry.MaxWait {
				return nil, apiErr
			}
			c.retried(cl, fmt.Sprintf("HTTP %d", resp.StatusCode), d, nil)
			if err := c.sleep(ctx, d); err != nil {
				return nil, err
			}
		default:
			apiErr := c.readAPIError(cl, resp, attempts)
			cancel()
			release()
			return nil, apiErr
		}
	}
}

func (c *Client) retried(cl *call, why string, wait time.Duration, err error) {
	c.stats.add(cl.endpoint, func(s *PageStats) { s.Retried++ })
	attrs := []any{"endpoint", cl.endpoint, "page", cl.page, "reason", why, "wait", wait.String()}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	c.log.Warn("qualys request retried", attrs...)
}

// backoff returns the n-th exponential backoff with jitter: between half
// and all of min(MaxDelay, BaseDelay·2ⁿ).
func (c *Client) backoff(n int) time.Duration {
	d := c.retry.BaseDelay
	for i := 0; i < n && d < c.retry.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.retry.MaxDelay)
	return d/2 + time.Duration(c.rand()*float64(d/2))
}

// conflictWait returns the wait a 409 asks for: X-RateLimit-ToWait-Sec, else
// the SECONDS_TO_WAIT item of a 1965 body.
func (c *Client) conflictWait(h http.Header, e *APIError) (time.Duration, bool) {
	if s, ok := headerInt(h, "X-RateLimit-ToWait-Sec"); ok && s > 0 {
		return time.Duration(s) * time.Second, true
	}
	if v := strings.TrimSpace(e.Items["SECONDS_TO_WAIT"]); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			return time.Duration(s) * time.Second, true
		}
	}
	return 0, false
}

func (c *Client) newRequest(cl *call) (*http.Request, error) {
	var body io.Reader
	var ctype string
	switch {
	case cl.form != nil:
		body = strings.NewReader(cl.form.Encode())
		ctype = "application/x-www-form-urlencoded"
	case cl.body != nil:
		body = bytes.NewReader(cl.body)
		ctype = cl.bodyType
	}
	req, err := http.NewRequest(cl.method, cl.target, body)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", cl.endpoint, err)
	}
	req.SetBasicAuth(c.username, c.password)
	req.Header.Set("X-Requested-With", c.reqWith)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/xml, text/xml")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req, nil
}

// readAPIError reads an error answer's body (bounded) into an *APIError.
func (c *Client) readAPIError(cl *call, resp *http.Response, attempts int) *APIError {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	e := &APIError{Endpoint: cl.endpoint, StatusCode: resp.StatusCode, Attempts: attempts}
	fillAPIError(e, data)
	if e.Text == "" && e.ResponseCode == "" {
		e.Text = http.StatusText(resp.StatusCode)
	}
	return e
}

func checkContentType(v string) error {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return fmt.Errorf("%w %q", ErrContentType, v)
	}
	switch {
	case mt == "application/xml", mt == "text/xml", strings.HasSuffix(mt, "+xml"):
		return nil
	}
	return fmt.Errorf("%w %q (want application/xml or text/xml)", ErrContentType, v)
}

// retryableTransportError reports whether a failed send may succeed when
// repeated: timeouts, resets and early closes yes; certificate and other
// TLS verification failures no.
func retryableTransportError(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	if errors.As(err, &unknownCA) || errors.As(err, &invalid) || errors.As(err, &hostname) ||
		errors.As(err, &verify) || errors.As(err, &record) {
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}
