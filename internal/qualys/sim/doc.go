// Package sim is a simulated Qualys API: a deterministic, scalable fake of
// the endpoints qgraph's Qualys client calls, served over HTTP, so qgraph
// can be run, tested and benchmarked without a Qualys account.
//
// Endpoints, at the real paths and with the real XML shapes (declarations,
// DOCTYPE lines, comments, CDATA, keep-alive comments, envelopes and error
// bodies):
//
//	GET      /qps/rest/portal/version
//	GET|POST /api/2.0/fo/asset/host/                  host list (ID_SET or HOST_LIST, WARNING/URL paging)
//	POST     /qps/rest/2.0/search/am/hostasset        host assets (hasMoreRecords/lastId paging)
//	GET|POST /api/2.0/fo/asset/host/vm/detection/     host detections (WARNING/URL paging)
//	GET|POST /api/2.0/fo/knowledge_base/vuln/         KnowledgeBase
//	POST     /qps/rest/3.0/search/was/webapp          WAS web apps (offset or id paging)
//	POST     /qps/rest/3.0/search/was/finding/        WAS findings
//	POST     /qps/rest/3.0/count/was/{webapp,finding} WAS counts
//	GET      /api/2.0/fo/activity_log/                legacy credential check (CSV)
//
// and the simulator's own control endpoints, which need the same Basic
// credentials and answer JSON:
//
//	POST /sim/advance?by=DURATION   move the clock (as Server.Advance)
//	GET  /sim/state                 clock, epoch, live hosts and web apps (Server.State)
//	GET  /sim/stats                 request, 409 and fault counters (Server.Stats)
//
// Data is generated lazily: every host, detection, web app and finding is a
// pure function of the seed, its index and the simulated epoch, so the
// server holds no dataset and any page can be produced on demand; memory
// does not grow with the number of hosts or detections. The same Options
// and the same sequence of Advance calls give byte-identical responses; the
// simulated clock moves only through Advance, never with the wall clock.
//
// The data, at the start clock: hosts are 25% on-premises scanner-tracked,
// 15% agent-tracked, 5% DNS or NetBIOS tracked, 25% EC2, 15% Azure and 15%
// GCP; 88% were last scanned in the 6 days before the clock and the rest 6
// to 60 days before, so a 7-day vm_processed window sees about 88% of them.
// Detections are 12% New, 62% Active, 16% Fixed (left out unless asked
// for) and 10% Re-Opened; 1% are ignored and 0.5% disabled. Each Advance
// rescans 60% of the hosts: 7% of their open detections get fixed, 12% of
// their fixed ones re-open, and a few new ones are found; 1% of hosts are
// added and 1% retired, and 5% of web apps added and 2% retired.
//
// The FO endpoints enforce Basic credentials, X-Requested-With, a sliding
// rate limit and a concurrency limit with the real headers and 409 bodies;
// QPS endpoints answer errors with HTTP 200 and a responseCode, as Qualys
// does. Faults (5xx, slow or stalled responses, resets, hang-ups, truncated
// or corrupt bodies, HTML pages, 409s) are injected by FaultSpec rules,
// chosen by request number or at a seeded rate.
//
// Known limits: only XML output (output_format=XML); the KnowledgeBase is
// the same for every seed; WAS verbose records omit the rarely populated
// parts (screenshots, crawling scripts, SSL data); ID_RANGE is never
// emitted; the error code for a missing X-Requested-With header is a guess
// (Qualys does not document it).
//
// A Server is safe for concurrent use. It never reads the wall clock for
// data, only for rate-limit windows and injected delays.
package sim
