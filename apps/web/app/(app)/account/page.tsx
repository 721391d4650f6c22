import { MIN_PASSWORD_LENGTH } from '@trainhub/api/services/signup';
import { ChangePasswordForm } from '@/components/auth/change-password-form';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/misc';
import { requireUser } from '@/server/request-context';

export const metadata = { title: 'Account · Trainhub' };

export default async function AccountPage() {
  const principal = await requireUser();
  return (
    <>
      <PageHeader title="Account" description={principal.email} />
      <Card>
        <CardHeader>
          <CardTitle>Password</CardTitle>
          <CardDescription>
            Used to sign in here and for HTTP Basic auth in the MLW-style API. Changing it signs out every
            session, this one included, and ends Edge Impulse-style login tokens; API keys keep working.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <ChangePasswordForm minPassword={MIN_PASSWORD_LENGTH} />
        </CardContent>
      </Card>
    </>
  );
}
