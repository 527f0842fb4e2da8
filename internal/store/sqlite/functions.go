package sqlite

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"sync"

	sqlite "modernc.org/sqlite"
)

// registerFunctions adds the SQL functions the J1QL compiler relies on to
// the driver. The driver keeps its functions process-wide, so this runs once
// per process, before the first connection is opened.
var registerFunctions = sync.OnceValue(func() error {
	cache := &regexpCache{compiled: map[string]*regexp.Regexp{}}
	if err := sqlite.RegisterDeterministicScalarFunction("regexp", 2, cache.match); err != nil {
		return fmt.Errorf("register the SQL function regexp: %w", err)
	}
	return nil
})

// regexpCacheSize bounds the compiled patterns kept between calls.
const regexpCacheSize = 256

// regexpCache compiles each pattern once; queries call regexp(pattern, text)
// for every row they test.
type regexpCache struct {
	mu       sync.Mutex
	compiled map[string]*regexp.Regexp
}

// match implements regexp(pattern, text): 1 when text matches, 0 when not,
// NULL when text is NULL.
func (c *regexpCache) match(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	pattern, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("regexp: the pattern must be text, not %T", args[0])
	}
	var text string
	switch v := args[1].(type) {
	case nil:
		return nil, nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		text = fmt.Sprint(v)
	}
	re, err := c.get(pattern)
	if err != nil {
		return nil, err
	}
	if re.MatchString(text) {
		return int64(1), nil
	}
	return int64(0), nil
}

func (c *regexpCache) get(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.compiled[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regexp: invalid pattern %q: %w", pattern, err)
	}
	if len(c.compiled) >= regexpCacheSize {
		clear(c.compiled)
	}
	c.compiled[pattern] = re
	return re, nil
}
