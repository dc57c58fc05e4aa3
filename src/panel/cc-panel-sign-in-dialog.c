/* cc-panel-sign-in-dialog.c: a provider's login flow, shown
 *
 * The address as a button that opens the browser, the code large and
 * copyable, a spinner while the person signs in, and Cancel. The flow
 * is the daemon's (an AuthFlow object of ours); this only shows it and
 * says "finished" with its end state and message.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-panel-sign-in-dialog.h"

struct _CcPanelSignInDialog
{
  AdwMessageDialog           parent_instance;

  CcProxyDBusProxy1AuthFlow *flow;
  GtkWidget                 *address;
  GtkWidget                 *code;
  GtkWidget                 *spinner;
  char                      *url;
};

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CcPanelSignInDialog, cc_panel_sign_in_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
show_prompt (CcPanelSignInDialog *self,
             const char          *url,
             const char          *code,
             const char          *message)
{
  if (url == NULL || url[0] == '\0')
    return;
  g_free (self->url);
  self->url = g_strdup (url);
  gtk_button_set_label (GTK_BUTTON (self->address), url);
  gtk_widget_set_sensitive (self->address, TRUE);
  gtk_label_set_text (GTK_LABEL (self->code), code);
  if (message != NULL && message[0] != '\0')
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), message);
}

static void
on_prompt_ready (CcProxyDBusProxy1AuthFlow *flow,
                 const char                *url,
                 const char                *code,
                 const char                *message,
                 CcPanelSignInDialog       *self)
{
  show_prompt (self, url, code, message);
}

static void
on_completed (CcProxyDBusProxy1AuthFlow *flow,
              const char                *state,
              const char                *message,
              CcPanelSignInDialog       *self)
{
  g_signal_handlers_disconnect_by_data (flow, self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, state, message);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_open (CcPanelSignInDialog *self)
{
  if (self->url != NULL)
    gtk_show_uri (GTK_WINDOW (self), self->url, GDK_CURRENT_TIME);
}

static void
on_copy (CcPanelSignInDialog *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), gtk_label_get_text (GTK_LABEL (self->code)));
}

static void
on_response (CcPanelSignInDialog *self,
             const char          *response)
{
  /* The flow answers with Completed (cancelled), which closes us. */
  if (g_str_equal (response, "cancel"))
    cc_proxy_dbus_proxy1_auth_flow_call_cancel (self->flow, NULL, NULL, NULL);
}

static void
cc_panel_sign_in_dialog_dispose (GObject *object)
{
  CcPanelSignInDialog *self = CC_PANEL_SIGN_IN_DIALOG (object);

  if (self->flow != NULL)
    g_signal_handlers_disconnect_by_data (self->flow, self);
  g_clear_object (&self->flow);
  G_OBJECT_CLASS (cc_panel_sign_in_dialog_parent_class)->dispose (object);
}

static void
cc_panel_sign_in_dialog_finalize (GObject *object)
{
  g_free (CC_PANEL_SIGN_IN_DIALOG (object)->url);
  G_OBJECT_CLASS (cc_panel_sign_in_dialog_parent_class)->finalize (object);
}

static void
cc_panel_sign_in_dialog_class_init (CcPanelSignInDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_panel_sign_in_dialog_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_panel_sign_in_dialog_finalize;

  /**
   * CcPanelSignInDialog::finished:
   * @state: "succeeded", "failed" or "cancelled"
   * @message: what the provider said
   *
   * The flow ended; the dialog closes.
   */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cc_panel_sign_in_dialog_init (CcPanelSignInDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *code_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  self->address = gtk_button_new_with_label (_("Waiting for the address…"));
  gtk_widget_add_css_class (self->address, "pill");
  gtk_widget_set_sensitive (self->address, FALSE);
  g_signal_connect_swapped (self->address, "clicked", G_CALLBACK (on_open), self);

  self->code = gtk_label_new ("");
  gtk_label_set_selectable (GTK_LABEL (self->code), TRUE);
  gtk_widget_add_css_class (self->code, "title-1");
  gtk_widget_set_tooltip_text (copy, _("Copy the code"));
  gtk_widget_add_css_class (copy, "flat");
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (on_copy), self);
  gtk_box_append (GTK_BOX (code_box), self->code);
  gtk_box_append (GTK_BOX (code_box), copy);
  gtk_widget_set_halign (code_box, GTK_ALIGN_CENTER);

  self->spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (self->spinner));

  gtk_box_append (GTK_BOX (box), self->address);
  gtk_box_append (GTK_BOX (box), code_box);
  gtk_box_append (GTK_BOX (box), self->spinner);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"));
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");
  g_signal_connect (self, "response", G_CALLBACK (on_response), NULL);
}

/**
 * cc_panel_sign_in_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @provider_name: whom the person signs in to
 * @flow: the login flow, just started
 *
 * Returns: (transfer floating): the dialog
 */
GtkWidget *
cc_panel_sign_in_dialog_new (GtkWindow                 *parent,
                             const char                *provider_name,
                             CcProxyDBusProxy1AuthFlow *flow)
{
  CcPanelSignInDialog *self = g_object_new (CC_PANEL_TYPE_SIGN_IN_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
  g_autofree char *heading = g_strdup_printf (_("Sign In to %s"), provider_name);

  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), _("Open the address and enter the code."));
  self->flow = g_object_ref (flow);
  g_signal_connect (flow, "prompt-ready", G_CALLBACK (on_prompt_ready), self);
  g_signal_connect (flow, "completed", G_CALLBACK (on_completed), self);
  /* What the flow showed before we listened. */
  show_prompt (self, cc_proxy_dbus_proxy1_auth_flow_get_verification_url (flow),
               cc_proxy_dbus_proxy1_auth_flow_get_user_code (flow),
               cc_proxy_dbus_proxy1_auth_flow_get_message (flow));
  return GTK_WIDGET (self);
}

/**
 * cc_panel_sign_in_dialog_get_code:
 *
 * Returns: the code shown, "" until the flow has one
 */
const char *
cc_panel_sign_in_dialog_get_code (CcPanelSignInDialog *self)
{
  return gtk_label_get_text (GTK_LABEL (self->code));
}
