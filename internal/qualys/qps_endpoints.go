package qualys

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

const (
	pathPortalVersion = "/qps/rest/portal/version"
	pathHostAssets    = "/qps/rest/2.0/search/am/hostasset"
	pathWebApps       = "/qps/rest/3.0/search/was/webapp"
	pathWebAppCount   = "/qps/rest/3.0/count/was/webapp"
	pathFindings      = "/qps/rest/3.0/search/was/finding/"
	pathFindingCount  = "/qps/rest/3.0/count/was/finding"
)

// serviceRequest builds a QPS <ServiceRequest> body. limit and offset are
// left out when 0.
func serviceRequest(limit, offset int, verbose bool, criteria []Criterion) []byte {
	var b bytes.Buffer
	b.WriteString("<ServiceRequest>")
	if limit > 0 || offset > 0 || verbose {
		b.WriteString("<preferences>")
		if limit > 0 {
			fmt.Fprintf(&b, "<limitResults>%d</limitResults>", limit)
		}
		if offset > 0 {
			fmt.Fprintf(&b, "<startFromOffset>%d</startFromOffset>", offset)
		}
		if verbose {
			b.WriteString("<verbose>true</verbose>")
		}
		b.WriteString("</preferences>")
	}
	if len(criteria) > 0 {
		b.WriteString("<filters>")
		for _, c := range criteria {
			b.WriteString(`<Criteria field="`)
			xml.EscapeText(&b, []byte(c.Field))
			b.WriteString(`" operator="`)
			xml.EscapeText(&b, []byte(c.Operator))
			b.WriteString(`">`)
			xml.EscapeText(&b, []byte(c.Value))
			b.WriteString("</Criteria>")
		}
		b.WriteString("</filters>")
	}
	b.WriteString("</ServiceRequest>")
	return b.Bytes()
}

func qpsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// PortalVersion fetches the portal and module versions. It is also the
// credential check: refused credentials give an *APIError matching ErrAuth.
func (c *Client) PortalVersion(ctx context.Context) (*PortalVersion, error) {
	pv := &PortalVersion{Portal: map[string]string{}, QWeb: map[string]string{}}
	cl := &call{endpoint: EndpointPortalVersion, method: http.MethodGet, target: c.baseStr + pathPortalVersion, page: "1"}
	err := c.page(ctx, cl, func(x *xmlReader, _ int, records *int) error {
		_, err := qpsPage(x, EndpointPortalVersion, func(el xml.StartElement) error {
			var m map[string]string
			switch el.Name.Local {
			case "Portal-Version":
				m = pv.Portal
			case "QWeb-Version":
				m = pv.QWeb
			default:
				return x.skip()
			}
			*records++
			return eachChild(x, func(f xml.StartElement) error {
				v, err := x.str()
				m[f.Name.Local] = v
				return err
			})
		})
		return err
	})
	if err != nil {
		return nil, unwrapPageAPIError(err)
	}
	return pv, nil
}

// unwrapPageAPIError returns the *APIError of a single-call failure as is,
// so that callers of one-shot endpoints see Qualys's answer directly.
func unwrapPageAPIError(err error) error {
	if pe, ok := err.(*PageError); ok {
		if ae, ok := pe.Err.(*APIError); ok {
			return ae
		}
	}
	return err
}

// HostAssets fetches the Asset Management host assets of p.HostIDs, chunk
// by chunk with several chunks in parallel, paging within a chunk with
// "id GREATER lastId", and calls fn with each asset. fn is never called
// concurrently. Failed chunks are returned joined as *PageError values.
func (c *Client) HostAssets(ctx context.Context, p HostAssetParams, fn func(*HostAsset) error) error {
	size := p.ChunkSize
	if size <= 0 {
		size = 250
	}
	chunks := chunk(p.HostIDs, size)
	em := &emitter[*HostAsset]{fn: fn}
	return runChunks(ctx, len(chunks), c.qpsConc, func(ctx context.Context, i int) error {
		ids := chunks[i]
		limit := p.PageSize
		if limit <= 0 {
			limit = len(ids)
		}
		base := []Criterion{{Field: "qwebHostId", Operator: "IN", Value: joinInts(ids)}}
		var lastID int64
		for n := 1; ; n++ {
			crit := base
			page := idRange(ids)
			if lastID != 0 {
				crit = append(crit[:1:1], Criterion{Field: "id", Operator: "GREATER", Value: itoa(lastID)})
				page = fmt.Sprintf("%s, page %d (id > %d)", page, n, lastID)
			}
			cl := &call{
				endpoint: EndpointHostAssets, method: http.MethodPost, target: c.baseStr + pathHostAssets,
				body: serviceRequest(limit, 0, false, crit), bodyType: "text/xml", page: page,
			}
			var meta qpsMeta
			err := c.page(ctx, cl, func(x *xmlReader, _ int, records *int) error {
				var err error
				meta, err = qpsPage(x, EndpointHostAssets, func(el xml.StartElement) error {
					if el.Name.Local != "HostAsset" {
						return x.skip()
					}
					a, err := decodeHostAsset(x)
					if err != nil {
						return err
					}
					*records++
					return em.emit(ctx, a)
				})
				return err
			})
			if err != nil {
				return err
			}
			if !meta.hasMore {
				return nil
			}
			if meta.lastID <= lastID {
				c.stats.add(EndpointHostAssets, func(s *PageStats) { s.Failed++ })
				return &PageError{Endpoint: EndpointHostAssets, Page: page, Offset: -1,
					Err: malformed("hasMoreRecords without a lastId beyond %d", lastID)}
			}
			lastID = meta.lastID
		}
	})
}

func (p *WebAppParams) criteria() []Criterion {
	var cr []Criterion
	if len(p.IDs) > 0 {
		cr = append(cr, Criterion{Field: "id", Operator: "IN", Value: joinInts(p.IDs)})
	}
	if p.Name != "" {
		cr = append(cr, Criterion{Field: "name", Operator: "CONTAINS", Value: p.Name})
	}
	if p.URL != "" {
		cr = append(cr, Criterion{Field: "url", Operator: "CONTAINS", Value: p.URL})
	}
	if p.Scanned != nil {
		cr = append(cr, Criterion{Field: "isScanned", Operator: "EQUALS", Value: strconv.FormatBool(*p.Scanned)})
	}
	if !p.LastScanAfter.IsZero() {
		cr = append(cr, Criterion{Field: "lastScan.date", Operator: "GREATER", Value: qpsTime(p.LastScanAfter)})
	}
	if !p.UpdatedAfter.IsZero() {
		cr = append(cr, Criterion{Field: "updatedDate", Operator: "GREATER", Value: qpsTime(p.UpdatedAfter)})
	}
	if len(p.TagIDs) > 0 {
		cr = append(cr, Criterion{Field: "tags.id", Operator: "IN", Value: joinInts(p.TagIDs)})
	}
	return append(cr, p.Criteria...)
}

// WebApps searches WAS web apps page by page (startFromOffset) and calls fn
// with each. A failed page stops the search with a *PageError.
func (c *Client) WebApps(ctx context.Context, p WebAppParams, fn func(*WebApp) error) error {
	limit := p.PageSize
	if limit <= 0 {
		limit = 100
	}
	crit := p.criteria()
	em := &emitter[*WebApp]{fn: fn}
	return unwrapCallback(c.offsetPages(ctx, EndpointWebApps, pathWebApps, "", limit, p.Verbose, crit, "WebApp", func(x *xmlReader) error {
		w, err := decodeWebApp(x)
		if err != nil {
			return err
		}
		return em.emit(ctx, w)
	}))
}

// offsetPages runs a QPS search from startFromOffset 1, adding limit while
// hasMoreRecords is true.
func (c *Client) offsetPages(ctx context.Context, endpoint, path, pagePrefix string, limit int, verbose bool, crit []Criterion, itemName string, item func(x *xmlReader) error) error {
	for offset := 1; ; offset += limit {
		page := fmt.Sprintf("offset %d", offset)
		if pagePrefix != "" {
			page = pagePrefix + ", " + page
		}
		cl := &call{
			endpoint: endpoint, method: http.MethodPost, target: c.baseStr + path,
			body: serviceRequest(limit, offset, verbose, crit), bodyType: "text/xml", page: page,
		}
		var meta qpsMeta
		err := c.page(ctx, cl, func(x *xmlReader, _ int, records *int) error {
			var err error
			meta, err = qpsPage(x, endpoint, func(el xml.StartElement) error {
				if el.Name.Local != itemName {
					return x.skip()
				}
				if err := item(x); err != nil {
					return err
				}
				*records++
				return nil
			})
			return err
		})
		if err != nil {
			return err
		}
		if !meta.hasMore {
			return nil
		}
	}
}

// CountWebApps returns how many web apps match p (the count endpoint).
func (c *Client) CountWebApps(ctx context.Context, p WebAppParams) (int64, error) {
	return c.count(ctx, EndpointWebAppCount, pathWebAppCount, p.criteria())
}

// CountWebAppFindings returns how many findings match p (the count endpoint).
func (c *Client) CountWebAppFindings(ctx context.Context, p FindingParams) (int64, error) {
	crit := p.criteria()
	if len(p.WebAppIDs) > 0 {
		crit = append(crit, Criterion{Field: "webApp.id", Operator: "IN", Value: joinInts(p.WebAppIDs)})
	}
	return c.count(ctx, EndpointFindingCount, pathFindingCount, crit)
}

func (c *Client) count(ctx context.Context, endpoint, path string, crit []Criterion) (int64, error) {
	cl := &call{
		endpoint: endpoint, method: http.MethodPost, target: c.baseStr + path,
		body: serviceRequest(0, 0, false, crit), bodyType: "text/xml", page: "1",
	}
	var meta qpsMeta
	err := c.page(ctx, cl, func(x *xmlReader, _ int, _ *int) error {
		var err error
		meta, err = qpsPage(x, endpoint, nil)
		return err
	})
	if err != nil {
		return 0, unwrapPageAPIError(err)
	}
	return meta.count, nil
}

func (p *FindingParams) criteria() []Criterion {
	var cr []Criterion
	if !p.LastDetectedAfter.IsZero() {
		cr = append(cr, Criterion{Field: "lastDetectedDate", Operator: "GREATER", Value: qpsTime(p.LastDetectedAfter)})
	}
	if !p.FirstDetectedAfter.IsZero() {
		cr = append(cr, Criterion{Field: "firstDetectedDate", Operator: "GREATER", Value: qpsTime(p.FirstDetectedAfter)})
	}
	if !p.LastTestedAfter.IsZero() {
		cr = append(cr, Criterion{Field: "lastTestedDate", Operator: "GREATER", Value: qpsTime(p.LastTestedAfter)})
	}
	if len(p.Statuses) > 0 {
		cr = append(cr, Criterion{Field: "status", Operator: "IN", Value: joinStrings(p.Statuses)})
	}
	if len(p.Types) > 0 {
		cr = append(cr, Criterion{Field: "type", Operator: "IN", Value: joinStrings(p.Types)})
	}
	if len(p.Severities) > 0 {
		cr = append(cr, Criterion{Field: "severity", Operator: "IN", Value: joinInts(p.Severities)})
	}
	if p.Ignored != nil {
		cr = append(cr, Criterion{Field: "isIgnored", Operator: "EQUALS", Value: strconv.FormatBool(*p.Ignored)})
	}
	if len(p.QIDs) > 0 {
		cr = append(cr, Criterion{Field: "qid", Operator: "IN", Value: joinInts(p.QIDs)})
	}
	return append(cr, p.Criteria...)
}

func joinStrings(v []string) string {
	var b bytes.Buffer
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	return b.String()
}

// WebAppFindings searches WAS findings and calls fn with each. Web app IDs
// are chunked (ChunkSize per search, several searches in parallel), each
// search paging by startFromOffset. fn is never called concurrently. Failed
// pages are returned joined as *PageError values after the other chunks ran.
func (c *Client) WebAppFindings(ctx context.Context, p FindingParams, fn func(*Finding) error) error {
	if err := p.validate(); err != nil {
		return err
	}
	limit := p.PageSize
	if limit <= 0 {
		limit = 250
	}
	size := p.ChunkSize
	if size <= 0 {
		size = 10
	}
	base := p.criteria()
	var chunks [][]int64
	if len(p.WebAppIDs) == 0 {
		chunks = [][]int64{nil}
	} else {
		chunks = chunk(p.WebAppIDs, size)
	}
	em := &emitter[*Finding]{fn: fn}
	return runChunks(ctx, len(chunks), c.qpsConc, func(ctx context.Context, i int) error {
		crit := base
		prefix := ""
		if ids := chunks[i]; ids != nil {
			crit = append(append([]Criterion{}, base...), Criterion{Field: "webApp.id", Operator: "IN", Value: joinInts(ids)})
			prefix = "web app " + idRange(ids)
		}
		return c.offsetPages(ctx, EndpointFindings, pathFindings, prefix, limit, p.Verbose, crit, "Finding", func(x *xmlReader) error {
			f, err := decodeFinding(x)
			if err != nil {
				return err
			}
			return em.emit(ctx, f)
		})
	})
}
