// Package qualys is qgraph's client for the Qualys APIs: the FO ("API v2")
// endpoints for host lists, host detections and the KnowledgeBase, and the
// QPS REST endpoints for the portal version, Asset Management host assets and
// WAS web apps and findings.
//
// # Connection
//
// New validates the API URL (see ValidateAPIURL), sends HTTP Basic auth, the
// X-Requested-With header and a User-Agent naming qgraph on every call, and
// accepts gzip. The password is never logged, never put in an error and never
// put in a URL.
//
// # Streaming
//
// Every list endpoint hands records to a callback one at a time, decoded from
// the response body as it arrives: memory is bounded by one record (one host
// with its detections, one web app, one vulnerability), never by the page or
// the response. Callbacks of one call are never run concurrently, even when
// several pages are fetched in parallel.
//
// The decoders sit on a small XML tokenizer of the package's own (scan.go)
// rather than encoding/xml: it reads detection answers several times
// faster, allocating nothing per element (see bench/qualys.md), while
// checking what broken answers break: matching end tags, no end inside an
// element, valid UTF-8 without control characters, known entities. CDATA
// text is kept exactly as sent (HTML and literal entity text such as
// &apos; included); other values are trimmed of surrounding white space.
//
// # Pages, limits and retries
//
// Each request is a page. FO calls follow the X-RateLimit-* and
// X-Concurrency-Limit-* headers: the number of FO calls in flight never
// exceeds the subscription's concurrency limit (less what other clients are
// running), and calls slow down when the remaining calls in the window run
// low. A 409 with code 1960 or 1965 waits and retries; 5xx answers, timeouts
// and connection resets retry with exponential backoff and jitter, bounded in
// count and in total time. Errors that retrying cannot fix (400, 401, 403,
// codes 2000/2001/2003/2011, QPS responseCode errors) are returned as
// *APIError without retrying.
//
// A page whose body was cut off (it ended early, the connection broke
// mid-body, or the document ends before its root closes) is read again with
// the same bounded backoff as a 5xx answer. Records the broken read had
// decoded were already delivered and are delivered again by the retry, so
// callers treat records as upserts by key. A body that arrived whole but
// does not decode (corrupt bytes, wrong content type) is not read again: it
// usually repeats. When the retries run out, or for such a body, the page
// fails with a *PageError naming the endpoint, the page and the byte offset;
// records of that page delivered before the break were complete records, but
// the page as a whole is reported failed, never as complete. ServerTime
// reports the server's clock from the answers' RESPONSE/DATETIME. When a call
// spans several pages, a failed page does not stop the others: the call
// returns every page error joined (use errors.As to find the *PageError
// values), and counts them in Stats. Authentication failures, a callback
// error and context cancellation stop the call at once.
//
// A Client is safe for concurrent use.
package qualys
