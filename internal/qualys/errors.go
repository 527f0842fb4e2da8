package qualys

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrAuth matches an *APIError that means the credentials were refused or
	// the user may not use the API: HTTP 401, FO codes 2000, 2001, 2002,
	// 2003, 2011 and 2012, and QPS INVALID_CREDENTIALS, UNAUTHORIZED and
	// EVALUATION_EXPIRED.
	ErrAuth = errors.New("qualys: authentication failed")
	// ErrRateLimited matches an error returned after Qualys kept refusing a
	// call with 409 (codes 1960/1965) beyond the retry policy.
	ErrRateLimited = errors.New("qualys: rate or concurrency limit")
	// ErrContentType matches a response whose Content-Type is not XML.
	ErrContentType = errors.New("qualys: unexpected response content type")
	// ErrMalformed matches a response body that is not the XML expected:
	// truncated, corrupt, or of another shape.
	ErrMalformed = errors.New("qualys: malformed response")
)

// APIError is an error answer from Qualys: an HTTP status that is not
// success, an FO SIMPLE_RETURN (with its numeric code), or a QPS
// ServiceResponse whose responseCode is not SUCCESS.
type APIError struct {
	// Endpoint names the endpoint called (one of the Endpoint* constants).
	Endpoint string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the FO SIMPLE_RETURN code (e.g. 1905, 1965, 2000), 0 if none.
	Code int
	// ResponseCode is the QPS responseCode (e.g. INVALID_REQUEST), "" if none.
	ResponseCode string
	// Text is Qualys's message (SIMPLE_RETURN TEXT or QPS errorMessage).
	Text string
	// Resolution is the QPS errorResolution, if any.
	Resolution string
	// Items holds the SIMPLE_RETURN ITEM_LIST (e.g. SECONDS_TO_WAIT).
	Items map[string]string
	// Attempts is how many times the call was sent.
	Attempts int
}

// Error renders the endpoint, status and Qualys's code and text.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "qualys %s: ", e.Endpoint)
	switch {
	case e.ResponseCode != "":
		fmt.Fprintf(&b, "responseCode %s", e.ResponseCode)
	case e.Code != 0:
		fmt.Fprintf(&b, "HTTP %d, code %d", e.StatusCode, e.Code)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if e.Text != "" {
		fmt.Fprintf(&b, ": %s", e.Text)
	}
	if e.Resolution != "" {
		fmt.Fprintf(&b, " (%s)", e.Resolution)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is lets errors.Is match ErrAuth and ErrRateLimited.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.IsAuth()
	case ErrRateLimited:
		return e.StatusCode == 409 && (e.Code == 1960 || e.Code == 1965 || e.Code == 0)
	}
	return false
}

// IsAuth reports whether the error means the credentials or the account
// cannot use the API.
func (e *APIError) IsAuth() bool {
	switch e.Code {
	case 2000, 2001, 2002, 2003, 2011, 2012:
		return true
	}
	switch e.ResponseCode {
	case "INVALID_CREDENTIALS", "UNAUTHORIZED", "EVALUATION_EXPIRED":
		return true
	}
	return e.StatusCode == 401 || e.StatusCode == 403
}

// IsExpired reports whether the error says the subscription or the
// evaluation has expired (FO code 2001, QPS EVALUATION_EXPIRED): the
// credentials are right, but the account may no longer use the API.
func (e *APIError) IsExpired() bool {
	return e.Code == 2001 || e.ResponseCode == "EVALUATION_EXPIRED"
}

// PageError reports one page that could not be fetched or decoded
// completely. Records of the page decoded before the failure were delivered,
// but the page counts as failed.
type PageError struct {
	// Endpoint names the endpoint (one of the Endpoint* constants).
	Endpoint string
	// Page identifies the page: its ids, offset or number.
	Page string
	// Offset is the byte offset in the (decompressed) response body where
	// decoding stopped; -1 when the failure came before the body.
	Offset int64
	// Records is how many records of the page were delivered before the
	// failure.
	Records int
	// Err is the cause: an *APIError, a network error, or an error matching
	// ErrMalformed or ErrContentType.
	Err error
}

// Error names the endpoint, the page and the byte offset.
func (e *PageError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("qualys %s, page %s: %v", e.Endpoint, e.Page, e.Err)
	}
	return fmt.Sprintf("qualys %s, page %s, at byte %d: %v", e.Endpoint, e.Page, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *PageError) Unwrap() error { return e.Err }

// errCutOff is matched by the errors of a body that was cut off: it ended
// early, the connection broke while it was read, or the document ends
// before its root element closes. Such a page is fetched again.
var errCutOff = errors.New("qualys: response body cut off")

// decodeError is a body that could not be decoded; it matches ErrMalformed,
// and errCutOff when cut is set.
type decodeError struct {
	msg string
	err error
	cut bool
}

func (e *decodeError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}
func (e *decodeError) Unwrap() []error {
	out := []error{ErrMalformed}
	if e.cut {
		out = append(out, errCutOff)
	}
	if e.err != nil {
		out = append(out, e.err)
	}
	return out
}

// readError is a failure to read the body (a reset or a stall mid-body);
// it matches errCutOff and the cause.
type readError struct {
	offset int64
	err    error
}

func (e *readError) Error() string {
	return fmt.Sprintf("read body at byte %d: %v", e.offset, e.err)
}
func (e *readError) Unwrap() []error { return []error{errCutOff, e.err} }

func malformed(format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...)}
}

func malformedWrap(err error, format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...), err: err}
}
