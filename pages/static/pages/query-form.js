// Forms marked data-drop-empty send only the fields that were filled in: RegWatch refuses an
// empty parameter (`?status=`) rather than guess what it meant.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-drop-empty")) return;
  Array.prototype.forEach.call(form.elements, function (field) {
    if (field.name && field.value.trim() === "") field.disabled = true;
  });
  window.setTimeout(function () {
    Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
  }, 0);
});
