; Captures (shared by every language, see index/definitions.py):
;   @function @class @impl @scope @decl  a definition node, with @name and @body
;   @call    the name of a called function / method / constructor
;   @import  an import statement, unpacked in index/imports.py
;   @bind    a name bound (parameter, assignment, loop, with-as), Python only

(function_definition name: (identifier) @name body: (block) @body) @function
(class_definition name: (identifier) @name body: (block) @body) @class

(call function: [
  (identifier) @call
  (attribute attribute: (identifier) @call)
])

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

; @bind: a name bound in a scope, for calls' receivers (index/receivers.py)
(parameters (identifier) @bind)
(typed_parameter (identifier) @bind)
(typed_default_parameter name: (identifier) @bind)
(default_parameter name: (identifier) @bind)
(assignment left: (identifier) @bind)
(for_statement left: (identifier) @bind)
(as_pattern_target (identifier) @bind)
(assignment left: (attribute object: (identifier) attribute: (identifier)) @bind)
