// The storefront's enhancements; every page works without this file.
(function () {
  "use strict";

  // Suggestions while typing in the search box: the search API's suggest endpoint fills a <datalist>.
  var input = document.getElementById("site-search");
  var list = document.getElementById("site-search-suggestions");
  if (input && list && window.fetch) {
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2 || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch(input.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(text),
              {headers: {Accept: "application/json"}, credentials: "omit"})
          .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
          .then(function (body) {
            if (asked !== text) { return; }
            list.textContent = "";
            body.suggestions.forEach(function (suggestion) {
              var option = document.createElement("option");
              option.value = suggestion.text;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggestions: the search still works */ });
      }, 150);
    });
  }

  // The checkout's total follows the shipping options ticked (the server checks the total it was shown).
  var total = document.getElementById("checkout-total");
  var stripeElements = null;
  if (total && window.Intl) {
    var currency = total.getAttribute("data-currency");
    var digits = new Intl.NumberFormat("en-US", {style: "currency", currency: currency}).resolvedOptions().maximumFractionDigits;
    var format = new Intl.NumberFormat("en-US", {style: "currency", currency: currency});
    total.closest("form").addEventListener("change", function (event) {
      if (!event.target.hasAttribute("data-amount")) { return; }
      var amount = parseInt(total.getAttribute("data-subtotal"), 10);
      document.querySelectorAll("input[data-amount]:checked").forEach(function (chosen) {
        amount += parseInt(chosen.getAttribute("data-amount"), 10);
      });
      total.textContent = format.format(amount / Math.pow(10, digits));
      if (stripeElements) { stripeElements.update({amount: amount}); }
    });
  }

  // Stripe's Payment Element on the forms that take a card (only when a publishable key is configured):
  // the card becomes a payment method id, which the server confirms with the order's payment.
  var checkout = document.querySelector("form[data-stripe-key]");
  if (checkout && window.Stripe) {
    var stripe = window.Stripe(checkout.getAttribute("data-stripe-key"));
    var elements = stripe.elements({mode: "payment", amount: parseInt(checkout.getAttribute("data-amount"), 10),
                                    currency: checkout.getAttribute("data-currency"),
                                    paymentMethodCreation: "manual"});
    stripeElements = elements;
    elements.create("payment").mount("#payment-element");
    var ready = false;
    checkout.addEventListener("submit", function (event) {
      if (ready) { return; }
      event.preventDefault();
      elements.submit().then(function (submitted) {
        if (submitted.error) { return; }
        return stripe.createPaymentMethod({elements: elements}).then(function (created) {
          if (created.error) { return; }
          document.getElementById("payment-method").value = created.paymentMethod.id;
          ready = true;
          checkout.submit();
        });
      });
    });
  }
})();
