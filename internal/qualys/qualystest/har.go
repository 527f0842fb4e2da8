package qualystest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Entry is one recorded request and its response.
type Entry struct {
	// Source names the HAR file and the entry's index in it.
	Source string
	// Method, Path and Query are the recorded request's.
	Method string
	Path   string
	Query  url.Values
	// RequestBody is the recorded request body ("" for GET).
	RequestBody string
	// Status, Header and Body are the recorded response.
	Status int
	Header http.Header
	Body   []byte
}

type harFile struct {
	Log struct {
		Entries []struct {
			Request struct {
				Method   string `json:"method"`
				URL      string `json:"url"`
				PostData *struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
				} `json:"postData"`
			} `json:"request"`
			Response struct {
				Status  int `json:"status"`
				Headers []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"headers"`
				Content struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
					Encoding string `json:"encoding"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

// skippedHeaders are recorded response headers not replayed: they describe
// the recorded transfer, not the replayed one.
var skippedHeaders = map[string]bool{
	"content-length":    true,
	"transfer-encoding": true,
	"content-encoding":  true,
	"connection":        true,
	"keep-alive":        true,
	"date":              true,
	"set-cookie":        true,
}

// LoadHAR reads the entries of a HAR file.
func LoadHAR(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read HAR: %w", err)
	}
	var h harFile
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("decode HAR %s: %w", path, err)
	}
	var out []Entry
	for i, e := range h.Log.Entries {
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			return nil, fmt.Errorf("HAR %s entry %d: request URL: %w", path, i, err)
		}
		en := Entry{
			Source: fmt.Sprintf("%s#%d", filepath.Base(path), i),
			Method: strings.ToUpper(e.Request.Method),
			Path:   u.Path,
			Query:  u.Query(),
			Status: e.Response.Status,
			Header: http.Header{},
		}
		if e.Request.PostData != nil {
			en.RequestBody = e.Request.PostData.Text
		}
		for _, hd := range e.Response.Headers {
			if skippedHeaders[strings.ToLower(hd.Name)] {
				continue
			}
			en.Header.Add(hd.Name, hd.Value)
		}
		if en.Header.Get("Content-Type") == "" && e.Response.Content.MimeType != "" {
			en.Header.Set("Content-Type", e.Response.Content.MimeType)
		}
		body := []byte(e.Response.Content.Text)
		if e.Response.Content.Encoding == "base64" {
			if body, err = base64.StdEncoding.DecodeString(e.Response.Content.Text); err != nil {
				return nil, fmt.Errorf("HAR %s entry %d: response body: %w", path, i, err)
			}
		}
		en.Body = body
		out = append(out, en)
	}
	return out, nil
}
