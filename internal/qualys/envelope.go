package qualys

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// simpleReturn is an FO SIMPLE_RETURN body.
type simpleReturn struct {
	Code  int
	Text  string
	Items map[string]string
}

// decodeSimpleReturnBody reads the RESPONSE of a SIMPLE_RETURN whose root
// was just read.
func decodeSimpleReturnBody(x *xmlReader) (*simpleReturn, error) {
	sr := &simpleReturn{}
	for {
		el, ok, err := x.next()
		if err != nil || !ok {
			return sr, err
		}
		if el.Name.Local != "RESPONSE" {
			if err := x.skip(); err != nil {
				return sr, err
			}
			continue
		}
		for {
			f, ok, err := x.next()
			if err != nil {
				return sr, err
			}
			if !ok {
				break
			}
			switch f.Name.Local {
			case "CODE":
				n, err := x.int("CODE")
				if err != nil {
					return sr, err
				}
				sr.Code = int(n)
			case "TEXT":
				if sr.Text, err = x.str(); err != nil {
					return sr, err
				}
			case "ITEM_LIST":
				if err := decodeItems(x, sr); err != nil {
					return sr, err
				}
			default:
				if err := x.skip(); err != nil {
					return sr, err
				}
			}
		}
	}
}

func decodeItems(x *xmlReader, sr *simpleReturn) error {
	for {
		it, ok, err := x.next()
		if err != nil || !ok {
			return err
		}
		if it.Name.Local != "ITEM" {
			if err := x.skip(); err != nil {
				return err
			}
			continue
		}
		var key, val string
		for {
			f, ok, err := x.next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch f.Name.Local {
			case "KEY":
				key, err = x.str()
			case "VALUE":
				var v string
				v, err = x.str()
				if val != "" {
					val += ","
				}
				val += v
			default:
				err = x.skip()
			}
			if err != nil {
				return err
			}
		}
		if key != "" {
			if sr.Items == nil {
				sr.Items = map[string]string{}
			}
			sr.Items[key] = val
		}
	}
}

// qpsError is the error part of a QPS ServiceResponse.
type qpsError struct {
	Message    string
	Resolution string
}

func decodeQPSErrorDetails(x *xmlReader) (qpsError, error) {
	var e qpsError
	for {
		f, ok, err := x.next()
		if err != nil || !ok {
			return e, err
		}
		switch f.Name.Local {
		case "errorMessage":
			e.Message, err = x.str()
		case "errorResolution":
			e.Resolution, err = x.str()
		default:
			err = x.skip()
		}
		if err != nil {
			return e, err
		}
	}
}

// fillAPIError fills e from an error answer's body: a SIMPLE_RETURN, a QPS
// ServiceResponse, or anything else (kept as a short text).
func fillAPIError(e *APIError, data []byte) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return
	}
	x := newXMLReader(bytes.NewReader(trimmed))
	root, err := x.root()
	if err == nil {
		switch root.Name.Local {
		case "SIMPLE_RETURN":
			if sr, err := decodeSimpleReturnBody(x); sr != nil && (err == nil || sr.Code != 0) {
				e.Code, e.Text, e.Items = sr.Code, sr.Text, sr.Items
				return
			}
		case "ServiceResponse":
			code, qe, err := decodeQPSStatusOnly(x)
			if err == nil && code != "" {
				e.ResponseCode, e.Text, e.Resolution = code, qe.Message, qe.Resolution
				return
			}
		}
	}
	e.Text = strings.Join(strings.Fields(truncate(string(trimmed), 200)), " ")
}

// decodeQPSStatusOnly reads responseCode and error details of a
// ServiceResponse whose root was just read.
func decodeQPSStatusOnly(x *xmlReader) (string, qpsError, error) {
	var code string
	var qe qpsError
	for {
		f, ok, err := x.next()
		if err != nil || !ok {
			return code, qe, err
		}
		switch f.Name.Local {
		case "responseCode":
			code, err = x.str()
		case "responseErrorDetails":
			qe, err = decodeQPSErrorDetails(x)
		default:
			err = x.skip()
		}
		if err != nil {
			return code, qe, err
		}
	}
}

// foPage decodes an FO list response. lists maps a container element of
// RESPONSE (e.g. HOST_LIST) to the handler of each of its children. It
// returns the WARNING/URL of a truncated answer, "" otherwise. A
// SIMPLE_RETURN root (e.g. code 2001 with HTTP 200) becomes an *APIError.
func foPage(x *xmlReader, endpoint, rootName string, status int, lists map[string]func(xml.StartElement) error) (string, error) {
	root, err := x.root()
	if err != nil {
		return "", err
	}
	switch root.Name.Local {
	case rootName:
	case "SIMPLE_RETURN":
		sr, err := decodeSimpleReturnBody(x)
		if err != nil {
			return "", err
		}
		return "", &APIError{Endpoint: endpoint, StatusCode: status, Code: sr.Code, Text: sr.Text, Items: sr.Items, Attempts: 1}
	default:
		return "", malformed("root element is %s, want %s", root.Name.Local, rootName)
	}
	var next string
	sawResponse := false
	for {
		el, ok, err := x.next()
		if err != nil {
			return "", err
		}
		if !ok {
			break
		}
		if el.Name.Local != "RESPONSE" {
			if err := x.skip(); err != nil {
				return "", err
			}
			continue
		}
		sawResponse = true
		for {
			f, ok, err := x.next()
			if err != nil {
				return "", err
			}
			if !ok {
				break
			}
			if h, isList := lists[f.Name.Local]; isList {
				for {
					item, ok, err := x.next()
					if err != nil {
						return "", err
					}
					if !ok {
						break
					}
					if err := h(item); err != nil {
						return "", err
					}
				}
				continue
			}
			if f.Name.Local == "DATETIME" {
				// The server's clock when it answered; a value that does
				// not parse is not worth failing the page for.
				b, err := x.textBytes()
				if err != nil {
					return "", err
				}
				if t, ok := parseTime(b); ok {
					x.serverTime = t
				}
				continue
			}
			if f.Name.Local == "WARNING" {
				if next, err = decodeWarning(x); err != nil {
					return "", err
				}
				continue
			}
			if err := x.skip(); err != nil {
				return "", err
			}
		}
	}
	if !sawResponse {
		return "", malformed("%s has no RESPONSE", rootName)
	}
	return next, nil
}

// decodeWarning reads WARNING and returns its URL.
func decodeWarning(x *xmlReader) (string, error) {
	var u string
	for {
		f, ok, err := x.next()
		if err != nil || !ok {
			return u, err
		}
		if f.Name.Local == "URL" {
			if u, err = x.str(); err != nil {
				return "", err
			}
			continue
		}
		if err := x.skip(); err != nil {
			return "", err
		}
	}
}

// qpsMeta is the paging part of a QPS ServiceResponse.
type qpsMeta struct {
	count   int64
	hasMore bool
	lastID  int64
}

// qpsPage decodes a QPS ServiceResponse, calling item for each child of
// data. A responseCode other than SUCCESS becomes an *APIError.
func qpsPage(x *xmlReader, endpoint string, item func(xml.StartElement) error) (qpsMeta, error) {
	var m qpsMeta
	root, err := x.root()
	if err != nil {
		return m, err
	}
	if root.Name.Local != "ServiceResponse" {
		return m, malformed("root element is %s, want ServiceResponse", root.Name.Local)
	}
	code := ""
	var qe qpsError
	for {
		f, ok, err := x.next()
		if err != nil {
			return m, err
		}
		if !ok {
			break
		}
		switch f.Name.Local {
		case "responseCode":
			code, err = x.str()
		case "count":
			m.count, err = x.int("count")
		case "hasMoreRecords":
			m.hasMore, err = x.bool("hasMoreRecords")
		case "lastId":
			m.lastID, err = x.int("lastId")
		case "responseErrorDetails":
			qe, err = decodeQPSErrorDetails(x)
		case "data":
			if code != "" && code != "SUCCESS" {
				err = x.skip()
				break
			}
			for err == nil {
				var it xml.StartElement
				var more bool
				it, more, err = x.next()
				if err != nil || !more {
					break
				}
				if item == nil {
					err = x.skip()
				} else {
					err = item(it)
				}
			}
		default:
			err = x.skip()
		}
		if err != nil {
			return m, err
		}
	}
	if code != "" && code != "SUCCESS" {
		return m, &APIError{Endpoint: endpoint, StatusCode: 200, ResponseCode: code, Text: qe.Message, Resolution: qe.Resolution, Attempts: 1}
	}
	return m, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
