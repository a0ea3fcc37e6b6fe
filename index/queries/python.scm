; Captures (shared by every language, see index/definitions.py):
;   @function @class @impl @scope @decl  a definition node, with @name and @body
;   @call    the name of a called function / method / constructor
;   @import  an import statement, unpacked in index/imports.py

(function_definition name: (identifier) @name body: (block) @body) @function
(class_definition name: (identifier) @name body: (block) @body) @class

(call function: [
  (identifier) @call
  (attribute attribute: (identifier) @call)
])

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
