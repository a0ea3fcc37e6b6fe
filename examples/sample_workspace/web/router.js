// A tiny path router for the browser.

/** Compile "/users/:id" into a regular expression with named groups. */
function compilePattern(pattern) {
  const source = pattern.replace(/:([a-zA-Z_]+)/g, "(?<$1>[^/]+)");
  return new RegExp(`^${source}$`);
}

class Router {
  constructor() {
    this.routes = [];
  }

  /** Register a handler for a path pattern. */
  addRoute(pattern, handler) {
    this.routes.push({ regex: compilePattern(pattern), handler });
  }

  /** Find the handler whose pattern matches the path and call it with the params. */
  dispatch(path) {
    for (const route of this.routes) {
      const match = route.regex.exec(path);
      if (match) {
        return route.handler(match.groups || {});
      }
    }
    return null;
  }
}

export { Router, compilePattern };
