(class_declaration name: (identifier) @name body: (_) @body) @class
(interface_declaration name: (identifier) @name body: (_) @body) @class
(enum_declaration name: (identifier) @name body: (_) @body) @class
(record_declaration name: (identifier) @name body: (_) @body) @class
(annotation_type_declaration name: (identifier) @name body: (_) @body) @class
; Abstract and interface methods have no body: a `def`, but no chunk of their own.
(method_declaration name: (identifier) @name body: (block)? @body) @function
(constructor_declaration name: (identifier) @name body: (_) @body) @function
(compact_constructor_declaration name: (identifier) @name body: (_) @body) @function

(method_invocation name: (identifier) @call)
(object_creation_expression type: [
  (type_identifier) @call
  (generic_type (type_identifier) @call)
  (scoped_type_identifier (type_identifier) @call .)
  (generic_type (scoped_type_identifier (type_identifier) @call .))
])

(import_declaration) @import
