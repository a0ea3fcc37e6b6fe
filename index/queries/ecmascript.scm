; Patterns valid in both the JavaScript and the TypeScript grammars.

(function_declaration name: (identifier) @name body: (_) @body) @function
(generator_function_declaration name: (identifier) @name body: (_) @body) @function
(method_definition name: (_) @name body: (_) @body) @function
(class_declaration name: (_) @name body: (_) @body) @class

; const f = () => {} / var f = function () {}
(variable_declarator
  name: (identifier) @name
  value: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
    (generator_function body: (_) @body)
  ]) @function

; Foo.prototype.bar = function () {} / exports.baz = () => {}
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
  ]) @function

; { key: function () {} }
(pair
  key: (property_identifier) @name
  value: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
  ]) @function

(call_expression function: [
  (identifier) @call
  (member_expression property: [(property_identifier) (private_property_identifier)] @call)
])
(new_expression constructor: [
  (identifier) @call
  (member_expression property: (property_identifier) @call)
])

(import_statement) @import
(variable_declarator
  value: (call_expression
    function: (identifier) @_fn
    arguments: (arguments . (string) .))
  (#eq? @_fn "require")) @require
