// Package qualystest serves recorded Qualys traffic (HAR files) over a
// loopback HTTP server, so that the Qualys client, and anything built on
// it, can be tested against real Qualys answers without a network.
//
// Requests are matched to recorded entries by method and path, then by
// their distinguishing parameters: FO query and form values (ids, id_min,
// details, ...) and QPS search bodies (startFromOffset and the Criteria).
// Among equally good matches, entries are served in recorded order, so a
// recording of seven pages replays as seven pages. Bodies are served
// byte for byte as recorded, with the recorded status and headers.
//
// A Server is safe for concurrent use.
package qualystest
