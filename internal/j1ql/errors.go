package j1ql

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Error is one problem found in a query, with its position.
type Error struct {
	Pos  int    // byte offset of the offending text
	Line int    // 1-based line of Pos
	Col  int    // 1-based column of Pos, in characters (runes) of its line
	Msg  string // what is wrong, e.g. `expected "THAT", found "HAZ"`
}

// Error renders the error as "line:col: msg".
func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// ErrorList is a list of positioned errors, sorted by position.
type ErrorList []*Error

// Error renders the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// sortAndDedupe sorts l by position and keeps one error per line.
func (l ErrorList) sortAndDedupe() ErrorList {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Pos < l[j].Pos })
	out := l[:0]
	last := -1
	for _, e := range l {
		if e.Line == last {
			continue
		}
		out = append(out, e)
		last = e.Line
	}
	return out
}

// position converts a byte offset of src to a 1-based line and column. The
// column counts characters (runes), not bytes, so text such as '日本語'
// before the offset moves it by one column per character.
func position(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + strings.Count(src[:off], "\n")
	lineStart := strings.LastIndex(src[:off], "\n") + 1
	col = 1 + utf8.RuneCountInString(src[lineStart:off])
	return line, col
}

// newError builds an Error at byte offset pos of src.
func newError(src string, pos int, format string, args ...any) *Error {
	line, col := position(src, pos)
	return &Error{Pos: pos, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}
