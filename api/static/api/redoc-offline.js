// Redoc's sidebar shows its maker's logo from their CDN: on a closed network that request
// fails, elsewhere it tells a third party who reads these docs. Loaded before Redoc, this
// swaps that one address for an empty local picture (the "API docs by Redocly" credit stays).
(function () {
  var REMOTE = /^https?:\/\/cdn\.redoc\.ly\//;
  var EMPTY = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
  var local = function (value) { return REMOTE.test(String(value)) ? EMPTY : value; };
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src") value = local(value);
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) { src.set.call(this, local(value)); },
  });
})();
