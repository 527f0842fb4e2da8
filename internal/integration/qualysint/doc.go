// Package qualysint is the Qualys integration: the steps that read a Qualys
// subscription through the qualys client and the converters that turn its
// records into the graph of spec/data-model.md.
//
// # Steps
//
//	fetch-account                  Account entity (portal version)
//	fetch-services                 the VMDR and WAS Service entities, Account HAS Service
//	fetch-scanned-host-ids         ids of the hosts scanned in the window
//	fetch-scanned-host-details     Asset Management host assets → Service SCANS Host (mapped)
//	fetch-host-detections          qualys_host_finding, Service IDENTIFIED finding,
//	                               Host HAS finding (mapped), finding IS qualys_vuln
//	fetch-scanned-webapps          web_app entities, WAS SCANS web_app
//	fetch-scanned-webapp-findings  qualys_web_app_finding, WAS IDENTIFIED, web_app HAS finding,
//	                               finding IS qualys_vuln
//	fetch-finding-vulns            qualys_vuln for every QID seen, finding IS cve (mapped)
//
// # Sync semantics
//
// Account, services, web apps and host targets are replaced per job: the
// host and web-app steps read the whole minScannedSinceDays window every
// run. Findings are incremental: each run reads detections and web-app
// findings from the dataset's high-water mark, and their types (with their
// relationships, mappings and the KnowledgeBase entities) are partial, so
// what is not re-read is kept. A Fixed detection is re-read with
// open=false. A full run (reconcile) reads every host and every detection
// without a time bound; nothing is partial, so findings that Qualys no
// longer reports are deleted.
//
// # Memory
//
// Detections stream through: a finding is converted and handed to the
// engine as soon as its host is decoded. The job keeps only the host
// targets (one small record per scanned host), the set of QIDs seen, and,
// for the CVE links made once the KnowledgeBase has been read, a 16-byte
// reference per host finding.
package qualysint
