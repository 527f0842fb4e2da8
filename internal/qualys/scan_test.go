package qualys

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// walkScanner lists the start elements under the root, in document order,
// each with the text of leaf elements, read through xmlReader.
func walkScanner(doc []byte) ([]string, error) {
	x := newXMLReader(bytes.NewReader(doc))
	root, err := x.root()
	if err != nil {
		return nil, err
	}
	out := []string{root.Name.Local}
	var walk func() error
	walk = func() error {
		for {
			el, ok, err := x.next()
			if err != nil || !ok {
				return err
			}
			out = append(out, el.Name.Local)
			if err := walk(); err != nil {
				return err
			}
		}
	}
	return out, walk()
}

// walkEncodingXML lists the same with encoding/xml; ok is false when
// encoding/xml refuses the document or it has text around the root.
func walkEncodingXML(doc []byte) ([]string, bool) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var out []string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			out = append(out, t.Name.Local)
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				return out, true
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, false
			}
		case xml.Directive:
			if depth > 0 {
				return nil, false // rare in answers; quoting rules differ
			}
		case xml.ProcInst:
			if t.Target == "xml" && bytes.Contains(bytes.ToLower(t.Inst), []byte("encoding")) &&
				!bytes.Contains(bytes.ToLower(t.Inst), []byte("utf-8")) {
				return nil, false
			}
		}
	}
}

// FuzzScannerAgreesWithEncodingXML checks the tokenizer against
// encoding/xml: a document encoding/xml reads is read by the scanner too,
// with the same elements in the same order.
func FuzzScannerAgreesWithEncodingXML(f *testing.F) {
	for _, name := range []string{"detections.xml", "ec2-host-assets.xml", "list-host-assets.xml"} {
		seedFixtures(f, name)
	}
	seedRecordings(f, "iterateVulnerabilities.har", "iterateWebApps.har", "iterateHostDetectionsBadId.har")
	f.Add([]byte(`<a x="1" y='&lt;2&gt;'><b/><c>t&amp;&#65;&#x42;<![CDATA[<p>&apos;]]></c><!-- c --><?pi x?></a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		want, ok := walkEncodingXML(doc)
		if !ok {
			_, _ = walkScanner(doc) // must not panic
			return
		}
		got, err := walkScanner(doc)
		if err != nil {
			t.Fatalf("encoding/xml reads the document, the scanner fails: %v\n%q", err, truncate(string(doc), 300))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("elements differ:\n scanner      %v\n encoding/xml %v", got, want)
		}
	})
}

// oneByteReader hands out one byte per Read, to exercise buffer refills.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestScannerTextAndErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		want    string // text of the root's first child
		wantErr string
	}{
		{name: "entities", doc: `<r><a>x &lt;&amp;&gt; &apos;&quot; &#65;&#x263A;</a></r>`, want: `x <&> '" A☺`},
		{name: "CDATA kept as sent", doc: `<r><a><![CDATA[doesn&apos;t <P>]]></a></r>`, want: `doesn&apos;t <P>`},
		{name: "text and CDATA joined", doc: `<r><a> a <![CDATA[b]]> c </a></r>`, want: ` a b c `},
		{name: "split tags", doc: "<r><a\n>v</a\n></r>", want: "v"},
		{name: "self-closing", doc: `<r><a/></r>`, want: ""},
		{name: "self-closing with space", doc: `<r><a /></r>`, want: ""},
		{name: "comment inside text", doc: `<r><a>x<!-- y -->z</a></r>`, want: "xz"},
		{name: "child skipped", doc: `<r><a>x<b>y<c/></b>z</a></r>`, want: "xz"},
		{name: "doctype with subset", doc: `<!DOCTYPE r [<!ELEMENT r ANY>]><r><a>v</a></r>`, want: "v"},
		{name: "unknown entity", doc: `<r><a>&nbsp;</a></r>`, wantErr: "unknown entity"},
		{name: "mismatched end", doc: `<r><a>v</b></r>`, wantErr: "does not match"},
		{name: "truncated", doc: `<r><a>va`, wantErr: "inside <a>"},
		{name: "truncated in CDATA", doc: `<r><a><![CDATA[va`, wantErr: "inside CDATA"},
		{name: "invalid UTF-8", doc: "<r><a>v\xff</a></r>", wantErr: "invalid UTF-8"},
		{name: "control character", doc: "<r><a>v\x01</a></r>", wantErr: "control character"},
		{name: "latin1 declared", doc: `<?xml version="1.0" encoding="ISO-8859-1"?><r/>`, wantErr: "unsupported encoding"},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				var r io.Reader = strings.NewReader(tt.doc)
				if slow {
					r = oneByteReader{r}
				}
				x := newXMLReader(r)
				got, err := func() (string, error) {
					if _, err := x.root(); err != nil {
						return "", err
					}
					if _, ok, err := x.next(); err != nil || !ok {
						return "", err
					}
					return x.raw()
				}()
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("error = %v, want %q", err, tt.wantErr)
					}
					if !errors.Is(err, ErrMalformed) {
						t.Errorf("error %v does not match ErrMalformed", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "text", got, tt.want)
			})
		}
	}
}
