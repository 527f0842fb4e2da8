package qualys

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// callbackError carries an error returned by the caller's callback, so that
// it stops the call and is returned unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// emitter serialises the caller's callback across concurrent pages. Once
// the callback returned an error it is not called again.
type emitter[T any] struct {
	mu     sync.Mutex
	fn     func(T) error
	failed error
}

func (e *emitter[T]) emit(ctx context.Context, v T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return &callbackError{e.failed}
	}
	if err := e.fn(v); err != nil {
		e.failed = err
		return &callbackError{err}
	}
	return nil
}

// page sends one page request and decodes its body with decode, which
// counts the records it delivers in *records. Failures come back as
// *PageError; callback errors and cancellation as they are.
//
// A body that was cut off (it ended early, the connection broke while it
// was read, or the document ends before its root closes) is fetched again
// with the same bounded backoff as a 5xx answer (RetryPolicy.MaxAttempts
// reads in all, within MaxElapsed); only when the retries are exhausted
// does the page fail. The records the broken attempt decoded have already
// been delivered, so the retry delivers them again: callers must treat
// records as upserts by key (the sync job does, a later object replacing an
// earlier one of the same key). A body that arrived complete but does not
// decode (corrupt bytes, an unexpected element) is not fetched again: it
// usually repeats, and the page is reported as failed.
func (c *Client) page(ctx context.Context, cl *call, decode func(x *xmlReader, status int, records *int) error) error {
	start := c.now()
	for reads := 1; ; reads++ {
		err := c.pageOnce(ctx, cl, decode)
		var pe *PageError
		if err == nil || !errors.As(err, &pe) || !errors.Is(pe.Err, errCutOff) {
			return err
		}
		d := c.backoff(reads - 1)
		if reads >= c.retry.MaxAttempts || c.now().Sub(start)+d > c.retry.MaxElapsed {
			c.stats.add(cl.endpoint, func(s *PageStats) { s.Failed++ })
			c.log.Warn("qualys page failed", "endpoint", cl.endpoint, "page", cl.page, "offset", pe.Offset, "records", pe.Records, "reads", reads, "error", pe.Err.Error())
			return pe
		}
		c.retried(cl, "response body cut off", d, pe)
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// pageOnce sends the page request once (send retries what fails before the
// body) and decodes the body. A body that was cut off comes back as a
// *PageError matching errCutOff, not yet counted as failed.
func (c *Client) pageOnce(ctx context.Context, cl *call, decode func(x *xmlReader, status int, records *int) error) error {
	resp, err := c.send(ctx, cl)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		c.stats.add(cl.endpoint, func(s *PageStats) { s.Failed++ })
		perr := &PageError{Endpoint: cl.endpoint, Page: cl.page, Offset: -1, Err: err}
		c.log.Warn("qualys page failed", "endpoint", cl.endpoint, "page", cl.page, "error", err.Error())
		return perr
	}
	started := c.now()
	x := newXMLReader(resp.body)
	records := 0
	err = decode(x, resp.http.StatusCode, &records)
	c.clock.observe(x.serverTime)
	offset := x.offset()
	resp.close()
	c.log.Debug("qualys page", "endpoint", cl.endpoint, "page", cl.page, "records", records,
		"bytes", resp.body.n.Load(), "duration", c.now().Sub(started).String())
	c.stats.add(cl.endpoint, func(s *PageStats) {
		s.Bytes += resp.body.n.Load()
		s.Records += int64(records)
	})
	if err != nil {
		var cbErr *callbackError
		if errors.As(err, &cbErr) {
			return err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		perr := &PageError{Endpoint: cl.endpoint, Page: cl.page, Offset: offset, Records: records, Err: err}
		if errors.Is(err, errCutOff) {
			return perr
		}
		c.stats.add(cl.endpoint, func(s *PageStats) { s.Failed++ })
		c.log.Warn("qualys page failed", "endpoint", cl.endpoint, "page", cl.page, "offset", offset, "records", records, "error", err.Error())
		return perr
	}
	c.stats.add(cl.endpoint, func(s *PageStats) { s.Fetched++ })
	return nil
}

// fatal reports whether err must stop a multi-page call: anything but a
// page failure, and page failures caused by refused credentials.
func fatal(err error) bool {
	var pe *PageError
	if !errors.As(err, &pe) {
		return true
	}
	return errors.Is(err, ErrAuth)
}

// runChunks runs work(i) for i in [0,n) on up to workers goroutines. Page
// failures are collected and returned joined once all chunks ran; a fatal
// error cancels the rest and is returned.
func runChunks(ctx context.Context, n, workers int, work func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	workers = max(1, min(workers, n))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		pageErrs []error
		fatalErr error
		nextIdx  int
		wg       sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if fatalErr != nil || nextIdx >= n {
			return 0, false
		}
		i := nextIdx
		nextIdx++
		return i, true
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				err := work(ctx, i)
				if err == nil {
					continue
				}
				mu.Lock()
				if fatal(err) {
					if fatalErr == nil {
						fatalErr = err
					}
					cancel()
				} else {
					pageErrs = append(pageErrs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if fatalErr != nil {
		var cbErr *callbackError
		if errors.As(fatalErr, &cbErr) {
			return cbErr.err
		}
		return fatalErr
	}
	return errors.Join(pageErrs...)
}

// unwrapCallback returns a callback's own error unwrapped.
func unwrapCallback(err error) error {
	var cbErr *callbackError
	if errors.As(err, &cbErr) {
		return cbErr.err
	}
	return err
}

// followURL checks a WARNING/URL before it is fetched with our credentials:
// it must point at the API host the client was made for.
func (c *Client) followURL(raw string, seen map[string]bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", malformed("next-page URL %q does not parse: %v", truncate(raw, 120), err)
	}
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Hostname(), c.base.Hostname()) ||
		effectivePort(u) != effectivePort(c.base) {
		return "", malformed("next-page URL points at %s://%s, not at the API host %s", u.Scheme, u.Host, c.baseStr)
	}
	if u.User != nil {
		return "", malformed("next-page URL carries credentials")
	}
	s := u.String()
	if seen[s] {
		return "", malformed("next-page URL repeats an earlier page (%s)", truncate(s, 120))
	}
	seen[s] = true
	return s, nil
}

// effectivePort is the URL's port, or its scheme's default.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// idRange names a chunk of IDs in errors and logs.
func idRange(ids []int64) string {
	if len(ids) == 0 {
		return "no ids"
	}
	lo, hi := ids[0], ids[0]
	for _, id := range ids {
		lo, hi = min(lo, id), max(hi, id)
	}
	if len(ids) == 1 {
		return fmt.Sprintf("id %d", lo)
	}
	return fmt.Sprintf("ids %d..%d (%d ids)", lo, hi, len(ids))
}

// nextPageName names a followed page by its id_min, if any.
func nextPageName(first string, n int, next string) string {
	if u, err := url.Parse(next); err == nil {
		if v := u.Query().Get("id_min"); v != "" {
			return fmt.Sprintf("%s, page %d (id_min=%s)", first, n, v)
		}
	}
	return fmt.Sprintf("%s, page %d", first, n)
}

func chunk(ids []int64, size int) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		n := min(size, len(ids))
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

func joinInts[T int | int64](v []T) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, n)
	}
	return b.String()
}
