package qualys

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	pathHostList   = "/api/2.0/fo/asset/host/"
	pathDetections = "/api/2.0/fo/asset/host/vm/detection/"
	pathKB         = "/api/2.0/fo/knowledge_base/vuln/"
)

// foTime formats a filter date as Qualys wants it: UTC, no fraction.
func foTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// ScannedHostIDs lists the IDs of scanned hosts, following the truncation
// WARNING/URL from page to page, and calls fn with each ID in order.
// ID_RANGE entries are expanded. A failed page stops the listing with a
// *PageError (later pages cannot be reached without it).
func (c *Client) ScannedHostIDs(ctx context.Context, p HostListParams, fn func(id int64) error) error {
	q := url.Values{}
	q.Set("action", "list")
	q.Set("details", "None")
	size := p.PageSize
	if size <= 0 {
		size = 10000
	}
	q.Set("truncation_limit", strconv.Itoa(size))
	if !p.ProcessedAfter.IsZero() {
		q.Set("vm_processed_after", foTime(p.ProcessedAfter))
	}
	if !p.ProcessedBefore.IsZero() {
		q.Set("vm_processed_before", foTime(p.ProcessedBefore))
	}
	target := c.baseStr + pathHostList + "?" + q.Encode()
	seen := map[string]bool{}
	for n := 1; target != ""; n++ {
		pageName := fmt.Sprintf("page %d", n)
		if n > 1 {
			pageName = nextPageName("host list", n, target)
		}
		cl := &call{endpoint: EndpointHostList, method: http.MethodGet, target: target, fo: true, page: pageName}
		var next string
		err := c.page(ctx, cl, func(x *xmlReader, status int, records *int) error {
			emitID := func(id int64) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(id); err != nil {
					return &callbackError{err}
				}
				*records++
				return nil
			}
			var err error
			next, err = foPage(x, EndpointHostList, "HOST_LIST_OUTPUT", status, map[string]func(xml.StartElement) error{
				"ID_SET": func(el xml.StartElement) error {
					switch el.Name.Local {
					case "ID":
						id, err := x.int("ID")
						if err != nil {
							return err
						}
						return emitID(id)
					case "ID_RANGE":
						s, err := x.str()
						if err != nil {
							return err
						}
						lo, hi, ok := parseIDRange(s)
						if !ok {
							return malformed("ID_RANGE %q at byte %d is not a range", truncate(s, 40), x.offset())
						}
						for id := lo; id <= hi; id++ {
							if err := emitID(id); err != nil {
								return err
							}
						}
						return nil
					}
					return x.skip()
				},
				"HOST_LIST": func(el xml.StartElement) error {
					if el.Name.Local != "HOST" {
						return x.skip()
					}
					var id int64
					err := eachChild(x, func(f xml.StartElement) error {
						if f.Name.Local == "ID" {
							var err error
							id, err = x.int("ID")
							return err
						}
						return x.skip()
					})
					if err != nil {
						return err
					}
					if id == 0 {
						return malformed("HOST without ID ending at byte %d", x.offset())
					}
					return emitID(id)
				},
			})
			return err
		})
		if err != nil {
			return unwrapCallback(err)
		}
		target = ""
		if next != "" {
			if target, err = c.followURL(next, seen); err != nil {
				c.stats.add(EndpointHostList, func(s *PageStats) { s.Failed++ })
				return &PageError{Endpoint: EndpointHostList, Page: pageName, Offset: -1, Err: err}
			}
		}
	}
	return nil
}

// parseIDRange parses "a-b" with a ≤ b; a single number is a range of one.
func parseIDRange(s string) (int64, int64, bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	lo, ok := parseInt([]byte(strings.TrimSpace(a)))
	if !ok {
		return 0, 0, false
	}
	if !found {
		return lo, lo, true
	}
	hi, ok := parseInt([]byte(strings.TrimSpace(b)))
	if !ok || hi < lo || hi-lo > 100_000_000 {
		return 0, 0, false
	}
	return lo, hi, true
}

// detectionForm builds the POST form for one chunk of host IDs.
func (p *DetectionParams) form(ids []int64) url.Values {
	f := url.Values{}
	f.Set("action", "list")
	f.Set("output_format", "XML")
	f.Set("ids", joinInts(ids))
	f.Set("truncation_limit", strconv.Itoa(len(ids)))
	if !p.HideTags {
		f.Set("show_tags", "1")
	}
	f.Set("show_igs", b01(p.ShowIGs))
	f.Set("show_results", b01(p.ShowResults))
	statuses := p.Statuses
	if len(statuses) == 0 {
		statuses = []string{"New", "Active", "Fixed", "Re-Opened"}
	}
	f.Set("status", strings.Join(statuses, ","))
	if len(p.Severities) > 0 {
		f.Set("severities", joinInts(p.Severities))
	}
	if len(p.QIDs) > 0 {
		f.Set("qids", joinInts(p.QIDs))
	}
	if !p.UpdatedSince.IsZero() {
		f.Set("detection_updated_since", foTime(p.UpdatedSince))
	}
	if !p.UpdatedBefore.IsZero() {
		f.Set("detection_updated_before", foTime(p.UpdatedBefore))
	}
	if p.IncludeIgnored {
		f.Set("include_ignored", "1")
	}
	if p.IncludeDisabled {
		f.Set("include_disabled", "1")
	}
	if p.ShowAssetID {
		f.Set("show_asset_id", "1")
	}
	if p.ShowQDS {
		f.Set("show_qds", "1")
	}
	if p.ShowQDSFactors {
		f.Set("show_qds_factors", "1")
	}
	if p.ShowReopenedInfo {
		f.Set("show_reopened_info", "1")
	}
	if p.ShowCloudTags {
		f.Set("show_cloud_tags", "1")
	}
	if p.HostMetadata != "" {
		f.Set("host_metadata", p.HostMetadata)
	}
	if len(p.IncludeTags) > 0 || len(p.ExcludeTags) > 0 {
		f.Set("use_tags", "1")
		f.Set("tag_set_by", "name")
		if len(p.IncludeTags) > 0 {
			f.Set("tag_set_include", strings.Join(p.IncludeTags, ","))
		}
		if len(p.ExcludeTags) > 0 {
			f.Set("tag_set_exclude", strings.Join(p.ExcludeTags, ","))
		}
	}
	return f
}

func b01(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// HostDetections fetches the detections of p.HostIDs, chunk by chunk with
// several chunks in flight within the subscription's limits, following any
// truncation WARNING/URL, and calls fn with each host and its detections
// (hosts without a matching detection are left out by Qualys). fn is never
// called concurrently. Failed chunks are returned joined as *PageError
// values after the other chunks ran.
func (c *Client) HostDetections(ctx context.Context, p DetectionParams, fn func(*DetectionHost) error) error {
	if err := p.validate(); err != nil {
		return err
	}
	size := p.ChunkSize
	if size <= 0 {
		size = 1000
	}
	chunks := chunk(p.HostIDs, size)
	em := &emitter[*DetectionHost]{fn: fn}
	return runChunks(ctx, len(chunks), c.limits.max, func(ctx context.Context, i int) error {
		ids := chunks[i]
		first := &call{
			endpoint: EndpointHostDetections, method: http.MethodPost,
			target: c.baseStr + pathDetections, form: p.form(ids), fo: true, page: idRange(ids),
		}
		return c.foPages(ctx, first, "HOST_LIST_VM_DETECTION_OUTPUT", "HOST_LIST", "HOST", func(x *xmlReader) error {
			h, err := decodeDetectionHost(x)
			if err != nil {
				return err
			}
			return em.emit(ctx, h)
		})
	})
}

// foPages fetches an FO list page and the pages its WARNING/URL leads to;
// item decodes and delivers one child of the list container.
func (c *Client) foPages(ctx context.Context, first *call, root, list, itemName string, item func(x *xmlReader) error) error {
	seen := map[string]bool{}
	cl := first
	for n := 1; ; n++ {
		var next string
		err := c.page(ctx, cl, func(x *xmlReader, status int, records *int) error {
			var err error
			next, err = foPage(x, cl.endpoint, root, status, map[string]func(xml.StartElement) error{
				list: func(el xml.StartElement) error {
					if el.Name.Local != itemName {
						return x.skip()
					}
					if err := item(x); err != nil {
						return err
					}
					*records++
					return nil
				},
			})
			return err
		})
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		target, err := c.followURL(next, seen)
		if err != nil {
			c.stats.add(cl.endpoint, func(s *PageStats) { s.Failed++ })
			return &PageError{Endpoint: cl.endpoint, Page: cl.page, Offset: -1, Err: err}
		}
		cl = &call{endpoint: first.endpoint, method: http.MethodGet, target: target, fo: true, page: nextPageName(first.page, n+1, target)}
	}
}

// KnowledgeBase fetches the vulnerabilities of p.QIDs, chunk by chunk with
// several chunks in flight, and calls fn with each. Unknown QIDs are left
// out, as Qualys does. fn is never called concurrently.
func (c *Client) KnowledgeBase(ctx context.Context, p KBParams, fn func(*Vuln) error) error {
	if err := p.validate(); err != nil {
		return err
	}
	size := p.ChunkSize
	if size <= 0 {
		size = 250
	}
	details := p.Details
	if details == "" {
		details = "All"
	}
	chunks := chunk(p.QIDs, size)
	em := &emitter[*Vuln]{fn: fn}
	return runChunks(ctx, len(chunks), c.limits.max, func(ctx context.Context, i int) error {
		qids := chunks[i]
		f := url.Values{}
		f.Set("action", "list")
		f.Set("ids", joinInts(qids))
		f.Set("details", details)
		if p.ShowPCIReasons {
			f.Set("show_pci_reasons", "1")
		}
		if p.ShowSupportedModules {
			f.Set("show_supported_modules_info", "1")
		}
		first := &call{
			endpoint: EndpointKnowledgeBase, method: http.MethodPost,
			target: c.baseStr + pathKB, form: f, fo: true, page: strings.Replace(idRange(qids), "id", "qid", 1),
		}
		return c.foPages(ctx, first, "KNOWLEDGE_BASE_VULN_LIST_OUTPUT", "VULN_LIST", "VULN", func(x *xmlReader) error {
			v, err := decodeVuln(x)
			if err != nil {
				return err
			}
			return em.emit(ctx, v)
		})
	})
}
