package sim

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// foParams are the parameters of one FO request: query string and form body
// together, the last value of a repeated parameter winning.
type foParams struct {
	vals  map[string]string
	order []string
	// body is the form body as sent, for echo_request.
	body string
}

func (p foParams) get(k string) string { return p.vals[k] }

func (p foParams) has(k string) bool { _, ok := p.vals[k]; return ok }

// errFO is a 400 answer waiting to be sent.
type errFO struct {
	code int
	text string
}

func (e *errFO) Error() string { return fmt.Sprintf("%d %s", e.code, e.text) }

func invalid(param, value, why string) *errFO {
	t := "parameter " + param + " has invalid value: " + value
	if why != "" {
		t += " (" + why + ")"
	}
	return &errFO{code: 1905, text: t}
}

// parseFO reads the parameters, rejects unknown ones (1901) and checks
// action=list (1903/1905).
func (rc *reqCtx) parseFO(allowed []string) (foParams, *errFO) {
	p := foParams{vals: map[string]string{}}
	add := func(raw string) *errFO {
		for _, kv := range strings.Split(raw, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			k, err1 := url.QueryUnescape(k)
			v, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				return &errFO{code: 1905, text: "parameter " + k + " has invalid value: bad URL encoding"}
			}
			if _, seen := p.vals[k]; !seen {
				p.order = append(p.order, k)
			}
			p.vals[k] = v
		}
		return nil
	}
	if rc.r.Method == "POST" {
		ct := rc.r.Header.Get("Content-Type")
		if ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			var b strings.Builder
			buf := make([]byte, 32<<10)
			for b.Len() < 8<<20 {
				n, err := rc.r.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			p.body = b.String()
			if e := add(p.body); e != nil {
				return p, e
			}
		}
	} else if rc.r.Method != "GET" {
		return p, &errFO{code: 1908, text: "Request method (GET or POST) is incompatible with specified parameter(s): " + rc.r.Method}
	}
	if e := add(rc.r.URL.RawQuery); e != nil {
		return p, e
	}
	var unknown []string
	for _, k := range p.order {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		return p, &errFO{code: 1901, text: "Unrecognized parameter(s): " + strings.Join(unknown, ",")}
	}
	action, ok := p.vals["action"]
	if !ok {
		return p, &errFO{code: 1903, text: "Missing required parameter(s): action"}
	}
	if action != "list" {
		return p, invalid("action", action, "")
	}
	if f, ok := p.vals["output_format"]; ok && f != "XML" {
		return p, invalid("output_format", f, "the simulator serves XML only")
	}
	return p, nil
}

// idRange is an inclusive range of IDs.
type idRange struct{ lo, hi int64 }

// parseIDs reads "1,2,5-9" into sorted, merged ranges.
func parseIDs(param, v string) ([]idRange, *errFO) {
	var out []idRange
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil || a < 1 {
			return nil, invalid(param, v, "neither a positive integer nor a range: "+part)
		}
		b := a
		if isRange {
			b, err = strconv.ParseInt(hi, 10, 64)
			if err != nil || b < a {
				return nil, invalid(param, v, "neither a positive integer nor a range: "+part)
			}
		}
		out = append(out, idRange{a, b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && r.lo <= merged[n-1].hi+1 {
			merged[n-1].hi = max(merged[n-1].hi, r.hi)
			continue
		}
		merged = append(merged, r)
	}
	return merged, nil
}

var dateParam = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$`)

// dateArg reads a date parameter; zero when absent.
func (p foParams) date(name string) (int64, *errFO) {
	v, ok := p.vals[name]
	if !ok || v == "" {
		return 0, nil
	}
	if !dateParam.MatchString(v) {
		return 0, invalid(name, v, "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
	}
	layout := "2006-01-02"
	if len(v) > 10 {
		layout = "2006-01-02T15:04:05Z"
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return 0, invalid(name, v, "not a valid date")
	}
	return t.Unix(), nil
}

// flag reads a 0/1 parameter.
func (p foParams) flag(name string) (bool, *errFO) {
	switch v := p.vals[name]; v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, invalid(name, v, "expected 0 or 1")
	}
}

// intArg reads a non-negative integer parameter, def when absent.
func (p foParams) intArg(name string, def int64) (int64, *errFO) {
	v, ok := p.vals[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(name, v, "expected a non-negative integer")
	}
	return n, nil
}

// list splits a comma list, dropping empty items.
func (p foParams) list(name string) []string {
	v := p.vals[name]
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// tagFilter is the use_tags/tag_set_* host filter.
type tagFilter struct {
	on               bool
	byName           bool
	include, exclude []string
	includeIDs       []int64
	excludeIDs       []int64
	all              bool // tag_include_selector=all
}

func (p foParams) tags() (tagFilter, *errFO) {
	var f tagFilter
	use, e := p.flag("use_tags")
	if e != nil {
		return f, e
	}
	f.on = use
	if !use {
		return f, nil
	}
	switch by := p.vals["tag_set_by"]; by {
	case "", "id":
	case "name":
		f.byName = true
	default:
		return f, invalid("tag_set_by", by, "expected id or name")
	}
	switch sel := p.vals["tag_include_selector"]; sel {
	case "", "any":
	case "all":
		f.all = true
	default:
		return f, invalid("tag_include_selector", sel, "expected any or all")
	}
	f.include = p.list("tag_set_include")
	f.exclude = p.list("tag_set_exclude")
	if !f.byName {
		for _, s := range f.include {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return f, invalid("tag_set_include", p.vals["tag_set_include"], "tag IDs expected with tag_set_by=id")
			}
			f.includeIDs = append(f.includeIDs, id)
		}
		for _, s := range f.exclude {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return f, invalid("tag_set_exclude", p.vals["tag_set_exclude"], "tag IDs expected with tag_set_by=id")
			}
			f.excludeIDs = append(f.excludeIDs, id)
		}
	}
	if len(f.include) == 0 && len(f.exclude) == 0 {
		return f, &errFO{code: 1903, text: "Missing required parameter(s): tag_set_include or tag_set_exclude"}
	}
	return f, nil
}

func (f tagFilter) match(h *host) bool {
	if !f.on {
		return true
	}
	if f.byName {
		if len(f.include) > 0 {
			if f.all {
				for _, n := range f.include {
					if !h.hasTagNamed([]string{n}) {
						return false
					}
				}
			} else if !h.hasTagNamed(f.include) {
				return false
			}
		}
		return len(f.exclude) == 0 || !h.hasTagNamed(f.exclude)
	}
	if len(f.includeIDs) > 0 {
		if f.all {
			for _, id := range f.includeIDs {
				if !h.hasTagID([]int64{id}) {
					return false
				}
			}
		} else if !h.hasTagID(f.includeIDs) {
			return false
		}
	}
	return len(f.excludeIDs) == 0 || !h.hasTagID(f.excludeIDs)
}

// continuationURL is the WARNING/URL of a truncated FO answer: the same
// request as a GET, with id_min set to the next ID.
func (rc *reqCtx) continuationURL(p foParams, next int64) string {
	var b strings.Builder
	b.WriteString(rc.baseURL())
	b.WriteString(rc.r.URL.Path)
	b.WriteByte('?')
	first := true
	for _, k := range p.order {
		if k == "id_min" {
			continue
		}
		if !first {
			b.WriteByte('&')
		}
		first = false
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.vals[k]))
	}
	if !first {
		b.WriteByte('&')
	}
	b.WriteString("id_min=")
	b.WriteString(strconv.FormatInt(next, 10))
	return b.String()
}

// Envelope text shared by FO answers.
const (
	evalComment         = "<!-- This report was generated with an evaluation version of Qualys //--> \n"
	confidentialComment = "<!-- CONFIDENTIAL AND PROPRIETARY INFORMATION. Qualys provides the QualysGuard Service \"As Is,\" without any warranty of any kind. Qualys makes no warranty that the information contained in this report is complete or error-free. Copyright 2020, Qualys, Inc. //--> \n"
)

// foHeader starts an FO document with its declaration, DOCTYPE and comment.
// With echo_request=1 it echoes the request in a REQUEST block first.
func (rc *reqCtx) foHeader(x *xmlWriter, p foParams, root, dtdPath string) {
	x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n")
	x.raw("<!DOCTYPE " + root + " SYSTEM \"" + rc.baseURL() + dtdPath + "\">\n")
	x.raw(evalComment)
	x.open(0, root)
	if p.get("echo_request") == "1" {
		x.open(2, "REQUEST")
		x.text(4, "DATETIME", rc.nowDate())
		x.text(4, "USER_LOGIN", rc.s.opts.Username)
		x.text(4, "RESOURCE", rc.baseURL()+rc.r.URL.Path)
		x.open(4, "PARAM_LIST")
		for _, k := range p.order {
			x.open(6, "PARAM")
			x.text(8, "KEY", k)
			x.cdata(8, "VALUE", p.vals[k])
			x.close(6, "PARAM")
		}
		x.close(4, "PARAM_LIST")
		if rc.r.Method == "POST" && p.body != "" {
			x.cdata(4, "POST_DATA", p.body)
		}
		x.close(2, "REQUEST")
	}
	x.open(2, "RESPONSE")
	x.text(4, "DATETIME", rc.nowDate())
}

// foFooter closes an FO document and adds the trailing comments.
func (rc *reqCtx) foFooter(x *xmlWriter, root string) {
	x.close(2, "RESPONSE")
	x.close(0, root)
	x.raw(evalComment)
	x.raw(confidentialComment)
}

// warning writes the truncation WARNING block.
func (rc *reqCtx) warning(x *xmlWriter, p foParams, limit, next int64) {
	x.open(4, "WARNING")
	x.int(6, "CODE", 1980)
	x.text(6, "TEXT", strconv.FormatInt(limit, 10)+" record limit exceeded. Use URL to get next batch of results.")
	x.cdata(6, "URL", rc.continuationURL(p, next))
	x.close(4, "WARNING")
}

// startFO writes the 200 headers of an FO XML answer.
func (rc *reqCtx) startFO(contentType string) {
	rc.w.Header().Set("Content-Type", contentType)
	rc.w.WriteHeader(200)
	rc.jitter()
}
