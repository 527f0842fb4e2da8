package sim

import (
	"io"
	"strconv"
	"strings"
)

// xmlWriter writes XML text into a reusable buffer that it flushes to the
// underlying writer in chunks. It is hand-rolled because the simulator must
// produce detection XML faster than clients can decode it; encoding/xml's
// reflection-based Marshal is several times slower and would also need whole
// records in memory first.
type xmlWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const flushAt = 32 << 10

func newXMLWriter(w io.Writer) *xmlWriter {
	return &xmlWriter{w: w, buf: make([]byte, 0, flushAt+4096)}
}

func (x *xmlWriter) maybeFlush() {
	if len(x.buf) >= flushAt {
		x.flush()
	}
}

// flush writes out what is buffered and remembers the first write error.
func (x *xmlWriter) flush() error {
	if x.err == nil && len(x.buf) > 0 {
		_, x.err = x.w.Write(x.buf)
	}
	x.buf = x.buf[:0]
	return x.err
}

// raw appends s unchanged.
func (x *xmlWriter) raw(s string) {
	x.buf = append(x.buf, s...)
	x.maybeFlush()
}

// spaces is sliced for indentation; deeper levels fall back to a loop.
const spaces = "                                "

func (x *xmlWriter) indent(n int) {
	if n <= len(spaces) {
		x.buf = append(x.buf, spaces[:n]...)
		return
	}
	for range n {
		x.buf = append(x.buf, ' ')
	}
}

// open writes "<name>" on its own line.
func (x *xmlWriter) open(ind int, name string) {
	x.indent(ind)
	x.buf = append(x.buf, '<')
	x.buf = append(x.buf, name...)
	x.buf = append(x.buf, '>', '\n')
}

// close writes "</name>" on its own line.
func (x *xmlWriter) close(ind int, name string) {
	x.indent(ind)
	x.buf = append(x.buf, '<', '/')
	x.buf = append(x.buf, name...)
	x.buf = append(x.buf, '>', '\n')
	x.maybeFlush()
}

// empty writes "<name/>".
func (x *xmlWriter) empty(ind int, name string) {
	x.indent(ind)
	x.buf = append(x.buf, '<')
	x.buf = append(x.buf, name...)
	x.buf = append(x.buf, '/', '>', '\n')
}

func (x *xmlWriter) startTag(ind int, name string) {
	x.indent(ind)
	x.buf = append(x.buf, '<')
	x.buf = append(x.buf, name...)
	x.buf = append(x.buf, '>')
}

func (x *xmlWriter) endTag(name string) {
	x.buf = append(x.buf, '<', '/')
	x.buf = append(x.buf, name...)
	x.buf = append(x.buf, '>', '\n')
}

// text writes <name>escaped</name>.
func (x *xmlWriter) text(ind int, name, v string) {
	x.startTag(ind, name)
	x.buf = appendEscaped(x.buf, v)
	x.endTag(name)
}

// cdata writes <name><![CDATA[v]]></name>.
func (x *xmlWriter) cdata(ind int, name, v string) {
	x.startTag(ind, name)
	x.buf = appendCDATA(x.buf, v)
	x.endTag(name)
}

// int writes <name>v</name>.
func (x *xmlWriter) int(ind int, name string, v int64) {
	x.startTag(ind, name)
	x.buf = strconv.AppendInt(x.buf, v, 10)
	x.endTag(name)
}

// b01 writes <name>0|1</name> (the FO boolean form).
func (x *xmlWriter) b01(ind int, name string, v bool) {
	x.startTag(ind, name)
	if v {
		x.buf = append(x.buf, '1')
	} else {
		x.buf = append(x.buf, '0')
	}
	x.endTag(name)
}

// bool writes <name>true|false</name> (the QPS boolean form).
func (x *xmlWriter) bool(ind int, name string, v bool) {
	x.startTag(ind, name)
	x.buf = strconv.AppendBool(x.buf, v)
	x.endTag(name)
}

// date writes <name>YYYY-MM-DDTHH:MM:SSZ</name>.
func (x *xmlWriter) date(ind int, name string, t int64) {
	x.startTag(ind, name)
	x.buf = appendDate(x.buf, t)
	x.endTag(name)
}

// dec writes a decimal with one fractional digit, e.g. 7.5.
func (x *xmlWriter) dec1(ind int, name string, tenths int) {
	x.startTag(ind, name)
	x.buf = appendTenths(x.buf, tenths)
	x.endTag(name)
}

func appendTenths(b []byte, tenths int) []byte {
	b = strconv.AppendInt(b, int64(tenths/10), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(tenths%10), 10)
}

// appendEscaped appends v with the five XML special characters escaped.
func appendEscaped(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendCDATA wraps v in a CDATA section, splitting any "]]>" inside it.
func appendCDATA(b []byte, v string) []byte {
	b = append(b, "<![CDATA["...)
	for {
		i := strings.Index(v, "]]>")
		if i < 0 {
			break
		}
		b = append(b, v[:i+2]...)
		b = append(b, "]]><![CDATA["...)
		v = v[i+2:]
	}
	b = append(b, v...)
	return append(b, "]]>"...)
}

// appendDate appends the Qualys date form of the Unix time t (UTC, no
// fraction) without going through time.Format, which is slow on hot paths.
func appendDate(b []byte, t int64) []byte {
	days := t / 86400
	secs := t % 86400
	if secs < 0 {
		secs += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(secs/3600))
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	return append(b, 'Z')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian date.
func civilFromDays(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}
